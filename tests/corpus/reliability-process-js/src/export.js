// Writes rows to a stream, waiting for 'drain' whenever the stream's buffer is full.
const { once } = require('events');

async function exportRows(rows, out) {
  for (const row of rows) {
    if (!out.write(JSON.stringify(row) + '\n')) { // expect: reliability.back-pressure
      await once(out, 'drain');
    }
  }
  out.end();
}

module.exports = { exportRows };
