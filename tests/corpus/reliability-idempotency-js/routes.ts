import express from 'express';
import { idempotency } from './middleware/idempotency';
import { db } from './store';

export const router = express.Router();

router.post('/orders', async (req, res) => {
  const order = await db.orders.create(req.body); // expect: reliability.post-without-idempotency
  res.status(201).json(order);
});

router.post('/payments', idempotency(), async (req, res) => { // expect: reliability.idempotency-key
  const payment = await db.payments.insert(req.body);
  res.status(201).json(payment);
});

router.post('/transfers', async (req, res) => {
  const key = req.get('Idempotency-Key'); // expect: reliability.idempotency-key
  const existing = key ? await db.transfers.findByKey(key) : null;
  if (existing) return res.json(existing);
  const transfer = await db.transfers.create({ ...req.body, key });
  return res.status(201).json(transfer);
});

router.post('/webhooks/github', async (req, res) => { // expect: reliability.post-without-idempotency
  await db.events.apply(req.body);
  res.sendStatus(204);
});

router.post('/search', async (req, res) => {
  res.json(await db.search(req.body));
});

router.get('/orders', async (_req, res) => {
  res.json(await db.orders.list());
});
