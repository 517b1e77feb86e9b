import { bench, describe } from "vitest";
import { sum } from "../src/sum";

describe("sum", () => {
  bench("small arrays", () => { // expect: tests.performance-suite
    sum([1, 2, 3]);
  });
});
