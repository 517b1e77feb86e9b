const axios = require("axios");
const serialize = require("node-serialize");

async function preview(req, res) {
  const page = await axios.get(req.query.url, { timeout: 5000 }); // expect: security.ssrf, reliability.no-circuit-breaker
  res.send(page.data);
}

async function importFeed(req, res) {
  const { feed } = req.body;
  const items = await axios.get(feed, { timeout: 5000 }); // expect: security.ssrf
  res.json(items.data);
}

async function status(config) {
  const reply = await axios.get(config.statusUrl, { timeout: 5000 });
  return reply.data;
}

function restore(req, res) {
  res.json(serialize.unserialize(req.body.state)); // expect: security.unsafe-deserialization
}

module.exports = { preview, importFeed, status, restore };
