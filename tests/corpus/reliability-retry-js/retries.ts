import pRetry from 'p-retry';
import retry from 'async-retry';
import axios from 'axios';
import axiosRetry from 'axios-retry';
import { ConstantBackoff, ExponentialBackoff, handleAll, noJitterGenerator, retry as retryPolicy } from 'cockatiel';

const api = axios.create({ baseURL: 'https://api.example.com', timeout: 5000 }); // expect: reliability.no-circuit-breaker, reliability.client-timeout
axiosRetry(api, { retries: 3, retryDelay: axiosRetry.exponentialDelay }); // expect: reliability.retry-with-backoff
axiosRetry(axios, { retries: 3 }); // expect: reliability.retry-without-backoff

export const jittered = retryPolicy(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }); // expect: reliability.retry-with-backoff
export const lockstep = retryPolicy(handleAll, { // expect: reliability.retry-with-backoff, reliability.retry-without-jitter
  maxAttempts: 5,
  backoff: new ExponentialBackoff({ generator: noJitterGenerator }),
});
export const steady = retryPolicy(handleAll, { maxAttempts: 5, backoff: new ConstantBackoff(50) }); // expect: reliability.retry-without-backoff

export async function loadProfile(id: string) {
  return pRetry(() => api.get(`/profiles/${id}`), { retries: 5 }); // expect: reliability.retry-with-backoff, reliability.retry-without-jitter
}

export async function loadOrders(id: string) {
  return pRetry(() => api.get(`/orders/${id}`), { retries: 5, randomize: true }); // expect: reliability.retry-with-backoff
}

export async function loadForever(id: string) {
  return pRetry(() => api.get(`/things/${id}`), { retries: Infinity, randomize: true }); // expect: reliability.retry-unbounded
}

export async function loadInvoice(id: string) {
  return retry(async () => api.get(`/invoices/${id}`), { retries: 4 }); // expect: reliability.retry-with-backoff
}
