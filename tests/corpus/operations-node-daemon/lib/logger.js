// A small logger: level, time and message on one line.
function write(level, msg) {
  process.stdout.write(`${new Date().toISOString()} ${level} ${msg}\n`);
}

module.exports = { info: (m) => write('INFO', m), error: (m) => write('ERROR', m) };
