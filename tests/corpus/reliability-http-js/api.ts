import axios from 'axios';

const bounded = axios.create({ baseURL: 'https://api.example.com', timeout: 5000 }); // expect: reliability.no-circuit-breaker, reliability.client-timeout
const unbounded = axios.create({ baseURL: 'https://slow.example.com' }); // expect: reliability.http-no-timeout

export async function getUser(id: string) {
  const res = await fetch(`https://users.example.com/${id}`); // expect: reliability.http-no-timeout
  return res.json();
}

export async function getUserBounded(id: string) {
  const res = await fetch(`https://users.example.com/${id}`, { signal: AbortSignal.timeout(3000) });
  return res.json();
}

export async function createUser(body: unknown) {
  const res = await fetch('https://users.example.com', { method: 'POST', body: JSON.stringify(body) }); // expect: reliability.http-no-timeout
  return res.json();
}

export async function createUserWithController(body: unknown, controller: AbortController) {
  return fetch('https://users.example.com', { method: 'POST', body: JSON.stringify(body), signal: controller.signal });
}

export async function passThrough(url: string, init: RequestInit) {
  return fetch(url, init);
}

export async function listOrders() {
  return axios.get('https://orders.example.com/orders'); // expect: reliability.http-no-timeout
}

export async function listOrdersBounded() {
  return axios.get('https://orders.example.com/orders', { timeout: 2000 });
}

export async function placeOrder(order: unknown) {
  return axios.post('https://orders.example.com/orders', order); // expect: reliability.http-no-timeout
}

export async function placeOrderBounded(order: unknown) {
  return axios.post('https://orders.example.com/orders', order, { timeout: 2000 });
}

export async function viaInstances() {
  await bounded.get('/a');
  await unbounded.get('/b');
  return axios({ url: 'https://x.example.com', method: 'get' }); // expect: reliability.http-no-timeout
}
