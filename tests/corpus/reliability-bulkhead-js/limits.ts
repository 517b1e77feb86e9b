import Bottleneck from 'bottleneck';
import { bulkhead } from 'cockatiel';
import pLimit from 'p-limit';
import PQueue from 'p-queue';

export const limit = pLimit(5); // expect: reliability.bulkhead
export const queue = new PQueue({ concurrency: 2 }); // expect: reliability.bulkhead
export const limiter = new Bottleneck({ maxConcurrent: 3, minTime: 100 }); // expect: reliability.bulkhead
export const paced = new Bottleneck({ minTime: 100 });
export const isolation = bulkhead(10, 100); // expect: reliability.bulkhead

export function limitOf(n: number) {
  return Math.min(n, 10);
}
