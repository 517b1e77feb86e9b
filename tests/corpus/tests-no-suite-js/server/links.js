// The links part of the service.
function listlinks(db) {
  return db.all("links");
}

module.exports = { listlinks };
