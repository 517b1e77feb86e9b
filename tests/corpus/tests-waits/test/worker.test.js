const { Worker, Queue } = require("../src/queue");

describe("worker", () => {
  it("keeps workers busy", async () => {
    const worker = new Worker("jobs", async () => {
      await delay(900);
    });
    const done = new Promise((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error("timed out")), 10000);
      worker.on("completed", () => {
        clearTimeout(guard);
        resolve();
      });
    });
    await Promise.all([delay(100).then(() => new Queue("jobs").add("x")), done]);
    await delay(500); // expect: tests.sleep-in-test
    expect(await worker.count()).toBe(0);
  });
});
