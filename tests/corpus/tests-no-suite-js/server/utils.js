// The utils part of the service.
function listutils(db) {
  return db.all("utils");
}

module.exports = { listutils };
