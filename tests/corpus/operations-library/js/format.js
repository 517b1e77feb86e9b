// A small JS helper: console output, no logger library, no server.
function banner(name) {
  console.log(`hello ${name}`);
  return { ready: true, path: '/health' };
}

module.exports = { banner };
