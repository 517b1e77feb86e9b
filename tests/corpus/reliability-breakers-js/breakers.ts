import CircuitBreaker from 'opossum';
import { circuitBreaker, ConsecutiveBreaker, handleAll, Policy } from 'cockatiel';

async function callPartner(id: string): Promise<unknown> {
  const res = await fetch(`https://partner.example.com/${id}`, { signal: AbortSignal.timeout(2000) });
  return res.json();
}

export const partner = new CircuitBreaker(callPartner, { timeout: 3000, errorThresholdPercentage: 50 }); // expect: reliability.circuit-breaker
export const db = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }); // expect: reliability.circuit-breaker
export const legacy = Policy.handleAll().circuitBreaker(10_000, new ConsecutiveBreaker(5)); // expect: reliability.circuit-breaker

type State = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export class SimpleBreaker { // expect: reliability.circuit-breaker
  private state: State = 'CLOSED';
  private failures = 0;
  private openedAt = 0;

  constructor(private threshold = 5, private cooldownMs = 30_000) {}

  async exec<T>(fn: () => Promise<T>): Promise<T> {
    if (this.state === 'OPEN') {
      if (Date.now() - this.openedAt < this.cooldownMs) throw new Error('circuit open');
      this.state = 'HALF_OPEN';
    }
    try {
      const value = await fn();
      this.failures = 0;
      this.state = 'CLOSED';
      return value;
    } catch (err) {
      this.failures++;
      if (this.failures >= this.threshold) {
        this.state = 'OPEN';
        this.openedAt = Date.now();
      }
      throw err;
    }
  }
}
