const express = require("express");

function handleError(err, req, res, next) {
  res.status(500).send({ status: "error", reason: "internal-error" });
}

const app = express();
app.use(express.json());
app.use(handleError); // expect: errors.error-handler-before-routes
app.post("/sync", async (req, res) => res.send(await sync(req.body)));
app.post("/upload", async (req, res) => res.send(await upload(req.body)));

module.exports = { handlers: app };
