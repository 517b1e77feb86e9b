// Restarts a crashed worker after a growing delay, and gives up after too many crashes.
const cluster = require('cluster');

let crashes = 0;
cluster.on('exit', () => {
  crashes += 1;
  if (crashes > 5) {
    process.exitCode = 1;
    return;
  }
  setTimeout(() => cluster.fork(), Math.min(30000, 500 * 2 ** crashes)); // expect: reliability.process-supervision
});
