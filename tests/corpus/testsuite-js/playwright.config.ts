import { defineConfig } from "@playwright/test"; // expect: tests.integration-suite

export default defineConfig({ testDir: "e2e", use: { baseURL: "http://127.0.0.1:3000" } });
