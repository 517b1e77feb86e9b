type Item = { label: string };

export function List({ items }: { items: Item[] }) {
  return (
    <ul>
      {items.map((item) => (
        <li key={Math.random()}>{item.label}</li>
      ))}
    </ul>
  );
}

export class Tracker {
  correlationId: string = Math.random().toString(36); // a correlation id must be unique, not secret
  sampleRate: number = Math.random();
}

const makeNonce = (): string => Math.random().toString(36).slice(2); // expect: security.js-weak-random

export { makeNonce };
