// The domains part of the service.
function listdomains(db) {
  return db.all("domains");
}

module.exports = { listdomains };
