const express = require('express');
const env = require('./env');
const log = require('./log');
const health = require('./routes/health');
const links = require('./routes/links');

const app = express();
const api = express.Router();
api.use('/health', health);
api.use('/links', links);
app.use('/api', api);

app.get('/api/metrics', async (_req, res) => res.json({ links: 42 }));

const server = app.listen(env.PORT, () => log.info('listening', { port: env.PORT }));
process.on('SIGTERM', () => server.close()); // expect: shutdown.signal-handler
