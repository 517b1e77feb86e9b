// The cache part of the service.
function listcache(db) {
  return db.all("cache");
}

module.exports = { listcache };
