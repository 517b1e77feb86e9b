import { newRequestId } from "../src/ids.js";

test("ids differ", () => {
  const token = Math.random().toString(36);
  localStorage.setItem("token", token);
  expect(eval("1 + 1")).toBe(2);
  expect(newRequestId()).not.toBe(newRequestId());
});
