import { NestFactory } from '@nestjs/core';
import { metrics } from '@opentelemetry/api';
import * as winston from 'winston';
import { AppModule } from './app.module';

const logger = winston.createLogger({
  format: winston.format.json(), // expect: observability.structured-logging
  transports: [new winston.transports.Console()],
});

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks(); // expect: shutdown.signal-handler
  metrics.getMeter('billing').createCounter('boots').add(1); // expect: observability.metrics
  await app.listen(3000);
  logger.info('billing listening');
}

bootstrap();
