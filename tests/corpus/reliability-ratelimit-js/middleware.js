const hits = new Map(); // expect: reliability.in-memory-rate-limit, durability.unbounded-collection
const labels = new Map();

function rateLimiter(req, res, next) {
  const now = Date.now();
  const entry = hits.get(req.ip) || { count: 0, start: now };
  if (now - entry.start > 60000) {
    entry.count = 0;
    entry.start = now;
  }
  entry.count += 1;
  hits.set(req.ip, entry);
  if (entry.count > 100) return res.status(429).end();
  return next();
}

function label(key) {
  return labels.get(key);
}

module.exports = { rateLimiter, label };
