const express = require("express");
const bodyParser = require("body-parser");

const app = express();
app.use(express.json({ limit: "100kb" })); // expect: security.request-size-limit
app.use(bodyParser.urlencoded({ extended: false, limit: "50kb" })); // expect: security.request-size-limit
app.use("/upload", express.raw({ type: "application/octet-stream", limit: "5mb" })); // expect: security.request-size-limit
app.use(express.static("public", { maxAge: "1d" }));
app.use(express.text());

function validateSignup(body) { // expect: security.input-validation
  if (typeof body !== "object" || body === null) {
    throw new Error("body must be an object");
  }
  if (!body.email || body.email.length > 254) {
    throw new Error("bad email");
  }
  return { email: body.email };
}

const validateNote = (note) => { // expect: security.input-validation
  if (typeof note.text !== "string") throw new TypeError("text must be a string");
  if (note.text.length > 1000) throw new RangeError("text too long");
  return note;
};

function validateQuery(query) {
  return typeof query.q === "string";
}

module.exports = { app, validateSignup, validateNote, validateQuery };
