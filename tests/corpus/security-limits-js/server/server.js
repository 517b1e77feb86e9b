const express = require("express");
const lusca = require("lusca");
const Database = require("better-sqlite3");
const env = require("./env");
const { loginLimiter, twoFaRateLimiter, passwordResetLimiter, loginByIpLimiter, apiLimiter } = require("./limits");

const app = express();
if (env.TRUST_PROXY) {
  app.set("trust proxy", true);
}
if (env.BEHIND_CDN) {
  app.set("trust proxy", true);
}
app.use(lusca.csrf()); // expect: security.csrf-protection

const db = new Database(env.DB_FILE, { readonly: true }); // expect: security.read-only-connection

async function login(socket, data, callback) {
  if ((await loginLimiter.removeTokens(1)) < 0) {
    return callback({ ok: false });
  }
  await loginByIpLimiter.consume(socket.handshake.address);
  return callback({ ok: check(data) });
}

async function verifyTwoFa(socket, data, callback) {
  if ((await twoFaRateLimiter.removeTokens(1)) < 0) {
    return callback({ ok: false });
  }
  return callback({ ok: true });
}

async function resetPassword(data, callback) {
  if ((await passwordResetLimiter.removeTokens(1)) < 0) {
    return callback({ ok: false });
  }
  await apiLimiter.removeTokens(1);
  return callback({ ok: true });
}

function check(data) {
  return Boolean(db && data);
}

app.listen(env.PORT); // expect: shutdown.no-signal-handler

module.exports = { login, verifyTwoFa, resetPassword };
