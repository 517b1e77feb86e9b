const { sum } = require("./sum");

test("sums", () => {
  expect(sum([1, 2])).toBe(3);
});
