// Log lines as JSON records, one per line.
function log(level, msg, fields = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })); // expect: observability.structured-logging
}

module.exports = {
  info: (msg, fields) => log('info', msg, fields),
  error: (msg, fields) => log('error', msg, fields),
};
