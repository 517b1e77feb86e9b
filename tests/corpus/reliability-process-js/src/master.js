// A clustered server: the primary replaces workers that exit.
const cluster = require('cluster');
const os = require('os');

if (cluster.isPrimary) {
  for (let i = 0; i < os.cpus().length; i++) {
    cluster.fork();
  }
  cluster.on('exit', (worker, code) => {
    console.error(`worker ${worker.process.pid} exited with ${code}, restarting`);
    cluster.fork(); // expect: reliability.process-supervision, reliability.respawn-without-backoff
  });
}
