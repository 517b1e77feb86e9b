import { describe, expect, it, vi } from "vitest";

vi.useFakeTimers(); // expect: tests.fake-clock

describe("retry", () => {
  it("waits with fake timers", () => {
    const done = vi.fn();
    setTimeout(done, 1000);
    vi.advanceTimersByTime(1000);
    expect(done).toHaveBeenCalled();
  });

  it("logs only", () => { // expect: tests.no-assertion
    console.log("nothing checked");
  });

  it("ava-style context", (ctx) => {
    ctx.expect(1).toBe(1);
  });
});
