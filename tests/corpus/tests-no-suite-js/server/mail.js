// The mail part of the service.
function listmail(db) {
  return db.all("mail");
}

module.exports = { listmail };
