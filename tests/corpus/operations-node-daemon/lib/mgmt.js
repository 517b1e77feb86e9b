const net = require('net');

// Management console: one command per line.
function start(port, handle) {
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.on('data', (data) => {
      const [cmd, ...args] = data.toString().trim().split(' ');
      handle(cmd, args, socket);
    });
  });
  server.listen(port);
  return server;
}

module.exports = { start };
