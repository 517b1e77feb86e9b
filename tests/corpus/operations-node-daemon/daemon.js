// A UDP counter daemon with a TCP management console.
const dgram = require('dgram');
const logger = require('./lib/logger');
const mgmt = require('./lib/mgmt');

const counters = { packets: 0, bad_lines: 0 };
let status = 'up';

const socket = dgram.createSocket('udp4');
socket.on('message', (msg) => {
  const [key] = msg.toString().split(':');
  if (key in counters) counters.packets += 1;
  else counters.bad_lines += 1;
});
socket.bind(8125);

mgmt.start(8126, (cmd, args, stream) => {
  switch (cmd) {
    case 'counters':
      stream.write(JSON.stringify(counters) + '\n');
      break;
    case 'health': // expect: health.command
      if (args[0] === 'down') status = 'down';
      stream.write(`health: ${status}\n`);
      break;
    default:
      stream.write('unknown command\n');
  }
});

function route(req, res) {
  switch (req.url) {
    case 'health':
      res.end('not a command: a path');
      break;
  }
}

process.on('SIGTERM', () => socket.close()); // expect: shutdown.signal-handler
logger.info('tallyd started');
module.exports = { route };
