// The auth part of the service.
function listauth(db) {
  return db.all("auth");
}

module.exports = { listauth };
