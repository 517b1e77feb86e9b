// Event bus with an optional synchronous delivery mode.
type Handler = (event: unknown) => void;

interface Subscription {
  handler: Handler;
}

export class EventBus {
  private subscriptions: Subscription[] = [];
  constructor(private config: { syncDelivery: boolean }) {}

  emit(event: unknown) {
    for (const subscription of this.subscriptions) {
      if (this.config.syncDelivery) {
        subscription.handler(event); // expect: performance.sync-event-delivery
      } else {
        setImmediate(() => subscription.handler(event));
      }
    }
  }
}

export class Emitter {
  private listeners: Handler[] = [];

  publish(event: unknown) {
    this.listeners.forEach((listener) => listener(event)); // expect: performance.sync-event-delivery
  }

  dispatch(event: unknown) {
    for (const listener of this.listeners) {
      queueMicrotask(() => listener(event));
    }
  }
}

export class Jobs {
  private jobs: Handler[] = [];
  publish(event: unknown) {
    for (const job of this.jobs) {
      job(event);
    }
  }
}
