const express = require("express");
const cors = require("cors");
const csrf = require("csurf");
const Database = require("better-sqlite3");

const app = express();
app.set("trust proxy", true); // expect: security.trust-proxy-all
app.use(cors()); // expect: security.cors-any-origin
app.use(csrf({ cookie: true })); // expect: security.csrf-protection
app.use(express.json({ limit: "100kb" })); // expect: security.request-size-limit

const reader = new Database("data/links.db", { readonly: true }); // expect: security.read-only-connection

module.exports = { app, reader };
