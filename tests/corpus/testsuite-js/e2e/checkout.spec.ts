import { test, expect } from "@playwright/test"; // expect: tests.integration-suite

test("checkout", async ({ page }) => {
  await page.goto("/checkout");
  await page.waitForTimeout(3000); // expect: tests.sleep-in-test
  await expect(page.getByText("Thanks")).toBeVisible();
});
