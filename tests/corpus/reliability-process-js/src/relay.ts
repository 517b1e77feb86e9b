import type { Readable, Writable } from 'stream';

export function relay(source: Readable, sink: Writable): void {
  source.on('data', (chunk: Buffer) => {
    if (!sink.write(chunk)) { // expect: reliability.back-pressure
      source.pause();
      sink.once('drain', () => source.resume());
    }
  });
}

export function tee(source: Readable, sinks: Writable[]): void {
  // Writing without looking at write()'s answer buffers without bound.
  source.on('data', (chunk: Buffer) => sinks.forEach((s) => s.write(chunk)));
}
