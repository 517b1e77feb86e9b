const crypto = require("crypto");
const http = require("http");

const jwtSecret = process.env.JWT_SECRET || crypto.randomBytes(32).toString("hex"); // expect: security.ephemeral-signing-secret
const jobKey = (options) => options.jobId || crypto.randomUUID();
const LIMIT = 1e6;

function readJson(req) {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk) => { body += chunk; }); // expect: security.unbounded-request-body
    req.on("end", () => resolve(JSON.parse(body)));
  });
}

function readLimited(req, res) {
  let body = "";
  req.on("data", (chunk) => {
    body += chunk;
    if (body.length > LIMIT) {
      res.writeHead(413);
      req.destroy();
    }
  });
}

function signs(payload) {
  return crypto.createHmac("sha256", jwtSecret).update(JSON.stringify(payload)).digest("hex");
}

module.exports = { readJson, readLimited, jobKey, signs };
