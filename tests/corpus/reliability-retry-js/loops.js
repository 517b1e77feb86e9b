const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function withRetry(fn, maxAttempts = 5) {
  for (let attempt = 0; attempt < maxAttempts; attempt++) { // expect: reliability.retry-with-backoff
    try {
      return await fn();
    } catch (err) {
      const delay = Math.min(10000, 100 * 2 ** attempt) * Math.random();
      await sleep(delay);
    }
  }
  throw new Error('gave up');
}

async function withRetryNoJitter(fn, maxAttempts = 5) {
  for (let attempt = 0; attempt < maxAttempts; attempt++) { // expect: reliability.retry-with-backoff
    try {
      return await fn();
    } catch (err) {
      const backoffMs = 200 * Math.pow(2, attempt); // expect: reliability.retry-without-jitter
      console.warn(`attempt ${attempt} failed, retrying in ${backoffMs}ms`);
      await new Promise((r) => setTimeout(r, backoffMs));
    }
  }
  throw new Error('gave up');
}

async function untilItWorks(fn) {
  while (true) { // expect: reliability.retry-unbounded
    try {
      return await fn();
    } catch (err) {
      await sleep(1000); // expect: reliability.retry-without-backoff
    }
  }
}

async function hammer(fn) {
  for (let i = 0; i < 10; i++) { // expect: reliability.retry-without-backoff
    try {
      return await fn();
    } catch (err) { // expect: errors.swallowed-exception
      console.error(err);
    }
  }
  return null;
}

async function withBudget(fn) {
  let tries = 0;
  let wait = 100;
  while (true) { // expect: reliability.retry-with-backoff
    try {
      return await fn();
    } catch (err) {
      tries += 1;
      if (tries > 4) throw err;
      await sleep(wait + Math.random() * wait);
      wait *= 2;
    }
  }
}

module.exports = { withRetry, withRetryNoJitter, untilItWorks, hammer, withBudget };
