import * as http from 'http';

// A side port for the orchestrator: plain node http with a path switch.
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200); // expect: health.shallow-check
    res.end('ok');
    return;
  }
  res.writeHead(404);
  res.end();
});

server.listen(9000);
process.on('SIGTERM', () => server.close()); // expect: shutdown.signal-handler
