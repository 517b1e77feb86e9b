// Identifiers and randomness in the browser.

export function newRequestId() {
  return Math.random().toString(36).slice(2); // a request id must be unique, not secret
}

export function newResetToken() {
  return Math.random().toString(36).slice(2); // expect: security.js-weak-random
}

export const sessionToken = Math.random().toString(16).substring(2); // expect: security.js-weak-random

export function attachKey(user) {
  user.apiKey = String(Math.floor(Math.random() * 1e16)); // expect: security.js-weak-random
  return user;
}

export const makeOrder = (name) => ({ name, id: Math.random() }); // expect: security.js-weak-random

export function jitter(delayMs) {
  const delay = delayMs * Math.random();
  return Math.min(delay, 30000);
}

export function shuffle(items) {
  return [...items].sort(() => Math.random() - 0.5);
}

export function pickColour(colours) {
  const colour = colours[Math.floor(Math.random() * colours.length)];
  return colour;
}

export function secureId() {
  return crypto.randomUUID();
}
