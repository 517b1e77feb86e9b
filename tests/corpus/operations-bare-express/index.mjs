import Koa from 'koa';
import winston from 'winston';

const logger = winston.createLogger({ transports: [new winston.transports.Console()] });
const app = new Koa();

app.use(async (ctx) => {
  ctx.body = { items: [] };
});

const server = app.listen(8080);
logger.info('catalog started');

['SIGTERM', 'SIGINT'].forEach((signal) => {
  process.once(signal, () => server.close(() => process.exit(0))); // expect: shutdown.signal-handler
});
