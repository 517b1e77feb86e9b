const express = require("express");
const cors = require("cors");

const admin = express();
admin.set("trust proxy", true); // expect: security.trust-proxy-all
admin.use(cors({ origin: true, credentials: true })); // expect: security.cors-credentials-any-origin
admin.use(cors({ origin: ["https://admin.example.com"], credentials: true }));

function allowCaller(req, res, next) {
  res.setHeader("Access-Control-Allow-Origin", req.headers.origin); // expect: security.cors-credentials-any-origin
  res.setHeader("Access-Control-Allow-Credentials", "true");
  next();
}

function publicData(req, res, next) {
  res.setHeader("Access-Control-Allow-Origin", "*"); // expect: security.cors-any-origin
  next();
}

module.exports = { admin, allowCaller, publicData };
