const express = require("express");
const jwt = require("jsonwebtoken");
const bcrypt = require("bcryptjs");

const router = express.Router();
const SECRET = process.env.JWT_SECRET;

function createToken(user) {
  return jwt.sign({ sub: user.id }, SECRET); // expect: security.token-without-expiry
}

function createShortToken(user) {
  return jwt.sign({ sub: user.id }, SECRET, { expiresIn: "15m" });
}

function createApiToken(user) {
  const token = jwt.sign({ sub: user.id, scope: "api" }, SECRET); // expect: security.token-without-expiry
  return token;
}

function screenshotName(monitorId) {
  const filename = jwt.sign(monitorId, SECRET) + ".png";
  return filename;
}

async function login(req, res) {
  const { email, password } = req.body;
  console.log("login attempt", email, password); // expect: security.secret-in-log
  const user = await findUser(email);
  if (!user || !(await bcrypt.compare(password, user.passwordHash))) {
    return res.status(401).json({ error: "no" });
  }
  res.cookie("sid", createToken(user)); // expect: security.cookie-flags
  res.cookie("token", createShortToken(user), { httpOnly: true, secure: process.env.NODE_ENV === "production" });
  res.cookie("lang", "en");
  return res.json({ ok: true });
}

function logout(req, res) {
  res.cookie("sid", "", { maxAge: 0 });
  res.json({ ok: true });
}

function rememberDevice(res, user) {
  res.cookie("remember_me", createApiToken(user), { httpOnly: true }); // expect: security.cookie-flags
  console.log("password length", user.password.length);
  console.info(`issued token ${createShortToken(user)} for`, user.id); // expect: security.secret-in-log
}

function audit(user, token) {
  console.warn(`refreshing token ${token}`); // expect: security.secret-in-log
}

router.post("/login", login); // expect: security.login-no-rate-limit
router.post("/signin", async (req, res) => login(req, res)); // expect: security.login-no-rate-limit
router.post("/logout", logout);
router.get("/login", (req, res) => res.send("<form></form>"));

async function findUser(email) {
  return { email, passwordHash: "", id: 1, password: "" };
}

module.exports = { router, rememberDevice, audit, screenshotName };
