import express from 'express';
import rateLimit from 'express-rate-limit';
import RedisStore from 'rate-limit-redis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';

const app = express();

app.use(rateLimit({ windowMs: 60_000, limit: 100 })); // expect: reliability.in-memory-rate-limit
app.use('/api', rateLimit({ windowMs: 60_000, limit: 100, store: new RedisStore({ sendCommand: () => null }) }));

export const memory = new RateLimiterMemory({ points: 10, duration: 1 }); // expect: reliability.in-memory-rate-limit
export const shared = new RateLimiterRedis({ storeClient: null, points: 10, duration: 1 });

export class TokenBucketLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>(); // expect: reliability.in-memory-rate-limit, durability.unbounded-collection

  constructor(private rate: number, private burst: number) {}

  take(key: string): boolean {
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    const tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return tokens >= 1;
  }
}

export default app;
