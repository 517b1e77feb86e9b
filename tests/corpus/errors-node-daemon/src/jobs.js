// Periodic jobs: promise chains whose rejections must go somewhere.
const links = require("./links");
const logger = require("./logger");

setInterval(function () {
  links.removeExpired().catch(); // expect: errors.catch-without-handler
}, 30000);

function rotate(store) {
  store.rotateKeys().then(() => logger.info("rotated")).catch(); // expect: errors.catch-without-handler
}

async function compact(store) {
  await store.compact().catch();
  return store.vacuum().catch((err) => logger.error("vacuum failed", err));
}

function prune(cache) {
  cache.prune().catch(); // expect: errors.catch-without-handler
  cache.stats().catch((err) => logger.warn("stats failed", err));
}

module.exports = { rotate, compact, prune };
