// Express routes: synchronous file and process calls inside handlers.
const fs = require("fs");
const { execSync } = require("child_process");
const express = require("express");

const app = express();
const templates = fs.readFileSync("templates/index.html", "utf8");

app.get("/report", (req, res) => {
  const body = fs.readFileSync("reports/latest.json", "utf8"); // expect: performance.blocking-call-in-async
  res.type("json").send(body);
});

app.post("/deploy", async (req, res) => {
  execSync("./deploy.sh"); // expect: performance.blocking-call-in-async
  res.sendStatus(202);
});

app.get("/", (req, res) => {
  res.send(templates);
});

app.put("/snapshot", async (req, res) => {
  await saveSnapshot(req.body);
  res.sendStatus(204);
});

app.get("/async-report", async (req, res) => {
  const body = await fs.promises.readFile("reports/latest.json", "utf8");
  res.type("json").send(body);
});

async function saveSnapshot(data) {
  fs.writeFileSync("snapshot.json", JSON.stringify(data)); // expect: performance.blocking-call-in-async, durability.non-atomic-write
}

function buildAtStartup() {
  fs.writeFileSync("build.txt", "ok");
}

module.exports = { app, saveSnapshot, buildAtStartup };
