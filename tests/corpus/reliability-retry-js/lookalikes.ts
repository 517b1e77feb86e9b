// Look-alikes: a `retry` flag, polling without failures, per-item error handling.
export const retry = { enabled: true, count: 3 };

export function shouldRetry(status: number): boolean {
  return status >= 500;
}

export async function waitUntilReady(check: () => Promise<boolean>) {
  while (!(await check())) {
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function importAll(rows: string[], save: (r: string) => Promise<void>) {
  for (const row of rows) {
    try {
      await save(row);
    } catch (err) { // expect: errors.swallowed-exception
      console.error('bad row', row, err);
    }
  }
}
