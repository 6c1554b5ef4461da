// A screenshot of the status page during the demo, for the README (`make docs-images`;
// not a test: `node --test` leaves files without ".test." alone). Debian's chromium,
// driven by playwright-core as in status_page.test.mjs, logs in as the demo's proctor
// and waits until the session's timeline holds every event the demo timeline shows, then
// shoots while the second person is in view (two live boxes, the event ongoing).
//
// Usage: node tests/e2e/demo_screenshot.mjs URL OUT.png   (the demo must be running)

import { chromium } from "playwright-core";

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  console.error("usage: node tests/e2e/demo_screenshot.mjs URL OUT.png");
  process.exit(2);
}
// The demo clip's first loop lasts under two minutes; give a slow machine twice that.
const WAIT_MS = 240_000;
// The page's own names for the kinds (status_page.html), in the order the clip shows them.
const EXPECTED = ["Looking away", "Phone detected", "No face in view", "More than one face"];

const context = await chromium.launchPersistentContext("", {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  viewport: { width: 1440, height: 960 },
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  await page.fill("#login-name", "proctor");
  await page.fill("#login-password", "demo-proctor");
  await page.click("#login-button");
  await page.locator("#session-active").waitFor({ state: "visible" });
  for (const label of EXPECTED) {
    await page.locator("#timeline li", { hasText: label }).first().waitFor({ timeout: WAIT_MS });
    console.error(`demo_screenshot: the timeline shows "${label}"`);
  }
  // The last one is still going on: the live image shows both faces boxed.
  await page.locator("#now", { hasText: EXPECTED.at(-1) }).waitFor({ timeout: WAIT_MS });
  await page.waitForFunction(() => document.getElementById("live").naturalWidth > 0);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out, fullPage: true });
  console.error(`demo_screenshot: wrote ${out}`);
} finally {
  await context.close();
}
