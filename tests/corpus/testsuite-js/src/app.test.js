const request = require("supertest"); // expect: tests.integration-suite
const { app } = require("./app");

function expectOk(res) {
  expect(res.status).toBe(200);
}

describe("health", () => {
  it("answers", async () => {
    await request(app).get("/health").expect(200);
  });

  it("answers again", async () => { // expect: tests.no-assertion
    await request(app).get("/health");
  });

  it("uses a helper", async () => {
    expectOk(await request(app).get("/health"));
  });

  it.each([["/health"], ["/"]])("serves %s", async (path) => { // expect: tests.parametrized
    const res = await request(app).get(path);
    expect([200, 404]).toContain(res.status);
  });

  test.each([[1], [2]])("second table %i", (n) => {
    expect(n).toBeTruthy();
  });

  it.skip("handles overload", () => { // expect: tests.skipped-tests
    expect(true).toBe(false);
  });

  xit("old behaviour", () => {}); // expect: tests.skipped-tests

  test("waits for the cache to expire", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500)); // expect: tests.sleep-in-test
    expect(true).toBe(true);
  });

  test("tiny tick", async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(1).toBe(1);
  });
});
