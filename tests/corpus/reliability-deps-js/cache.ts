import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import Redis from 'ioredis';
import { Kafka } from 'kafkajs';
import { loadProfile } from './db';

const redis = new Redis(process.env.REDIS_URL!);
const s3 = new S3Client({ region: 'eu-west-1' });
const kafka = new Kafka({ brokers: ['kafka:9092'] });
const producer = kafka.producer();

export async function getProfile(id: string) {
  try {
    const raw = await redis.get(`profile:${id}`); // expect: reliability.dependency-fallback
    if (raw) return JSON.parse(raw);
  } catch (err) {
    console.warn('cache unavailable', err);
    return loadProfile(id);
  }
  return loadProfile(id);
}

export async function putProfile(id: string, profile: unknown) {
  await redis.set(`profile:${id}`, JSON.stringify(profile), 'EX', 300); // expect: reliability.dependency-no-fallback
}

export async function archive(key: string, body: string) {
  await s3.send(new PutObjectCommand({ Bucket: 'archive', Key: key, Body: body })); // expect: reliability.dependency-no-fallback
}

export async function publish(event: unknown) {
  try {
    await producer.send({ topic: 'events', messages: [{ value: JSON.stringify(event) }] }); // expect: reliability.dependency-fallback
  } catch (err) {
    await spool(event);
  }
}

export async function evict(id: string) {
  try {
    await redis.del(`profile:${id}`); // expect: reliability.dependency-no-fallback
  } catch (err) {
    console.error('evict failed', err);
    throw err;
  }
}

async function spool(event: unknown) {
  return event;
}
