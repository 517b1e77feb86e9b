const http = require('http');

const server = http.createServer((req, res) => res.end('ok'));
server.listen(8081);

process.on('SIGTERM', () => { // expect: shutdown.signal-handler
  console.log('draining');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(1), 10000).unref();
});
