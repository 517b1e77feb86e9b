import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    coverage: {
      provider: "v8",
      thresholds: { // expect: tests.coverage-gate
        lines: 85,
        branches: 75,
      },
    },
  },
});
