// The users part of the service.
function listusers(db) {
  return db.all("users");
}

module.exports = { listusers };
