// Keeping the login around between page loads.

const TOKEN_KEY = "app.session";

export function saveLogin(response) {
  localStorage.setItem("token", response.token); // expect: security.token-in-localstorage
  window.localStorage.setItem("refreshToken", response.refresh); // expect: security.token-in-localstorage
  localStorage.setItem(TOKEN_KEY, response.accessToken); // expect: security.token-in-localstorage
}

export function rememberJwt(jwt) {
  localStorage.jwt = jwt; // expect: security.token-in-localstorage
}

export function savePreferences(prefs) {
  localStorage.setItem("theme", prefs.theme);
  localStorage.setItem("tokenizerModel", prefs.model);
  localStorage.setItem("lastAccessed", String(Date.now()));
}

export function currentToken() {
  return localStorage.getItem("token");
}

export function cacheToken(cache, token) {
  cache.setItem("token", token);
}
