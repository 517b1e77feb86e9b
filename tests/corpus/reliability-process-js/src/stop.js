const http = require('http');

const server = http.createServer((req, res) => res.end('ok'));
server.listen(8080);
let healthy = true;

process.on('SIGTERM', function () { // expect: reliability.exit-without-drain
  if (process.env.DEBUG) {
    console.log('stopping');
  }
  healthy = false;
  process.exit(0);
});

process.on('SIGINT', () => process.exit(130));
