require('dd-trace').init({ service: 'orders' }); // expect: observability.tracing
const express = require('express');
const pino = require('pino');
const client = require('prom-client'); // expect: observability.metrics
const pool = require('./db');

const logger = pino({ level: 'info' }); // expect: observability.structured-logging
const app = express();
const requests = new client.Counter({ name: 'requests_total', help: 'requests' });

app.use((req, res, next) => {
  req.id = req.get('X-Request-Id') || String(Date.now()); // expect: observability.request-id
  requests.inc();
  next();
});

app.get('/health', (req, res) => {
  res.status(200).json({ status: 'ok' }); // expect: health.shallow-check
});

app.get('/ready', async (req, res) => {
  const result = await pool.query('SELECT 1'); // expect: health.deep-check
  res.json({ status: 'ready', rows: result.rowCount });
});

app.get('/orders/:id', (req, res) => {
  if (req.query.state === 'ready') {
    return res.json({ id: req.params.id, state: 'ready' });
  }
  return res.json({ id: req.params.id });
});

const port = Number(process.env.PORT || 3000);
app.listen(port, () => { // expect: shutdown.no-signal-handler
  console.log(`orders listening on ${port}`); // expect: observability.print-logging
  logger.info({ port }, 'listening');
});
