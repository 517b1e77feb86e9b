// The stats part of the service.
function liststats(db) {
  return db.all("stats");
}

module.exports = { liststats };
