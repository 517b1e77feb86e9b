import type Redis from 'ioredis';

export async function extendLock(conn: Redis, key: string, token: string, ms: number): Promise<void> {
  await conn.pexpire(key, ms); // expect: reliability.heartbeat-ttl
}

export const heartbeat = async (conn: Redis, id: string): Promise<void> => {
  await conn.set(`alive:${id}`, Date.now().toString(), 'EX', 30); // expect: reliability.heartbeat-ttl
};

export async function heartbeatStats(conn: Redis, id: string): Promise<number> {
  // Reading heartbeats refreshes nothing.
  return Number(await conn.get(`alive:${id}`));
}
