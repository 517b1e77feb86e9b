import { sleep } from "./helpers";

describe("poller", () => {
  it("polls", async () => {
    await sleep(2000); // expect: tests.sleep-in-test
    expect(true).toBe(true);
  });

  it("configures", () => {
    jest.setTimeout(30000);
    expect(1).toBe(1);
  });

  xdescribe("legacy", () => {}); // expect: tests.skipped-tests
});
