const express = require("express");
const { errorHandler } = require("./errors");
const users = require("./users");

const app = express();
app.use(express.json());
app.get("/version", (req, res) => res.send(version));
app.use("/users", users.router);
app.use(errorHandler); // expect: errors.central-error-handler

module.exports = app;
