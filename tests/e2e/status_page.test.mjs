// The proctor's status page in a real browser: Debian's chromium, driven by
// playwright-core, against the web fixture (daemon/examples/web_fixture.rs: the real API
// over a temporary store, a live view fed with a real photo and real detections).
//
// The fixture runs the real rules engine on the photo while a session is active, so the
// page shows real rule events (a phone, two faces) as well as events logged through the API.
//
// The page shows nothing but a login form until a proctor logs in; a proctor is not
// offered reports, a reviewer is, and reviews the ended session: plays an event's clip,
// confirms one event and dismisses another; a tab that logged out gets nothing more.
//
// Run from the repository root: `node --test tests/e2e/` (after `make setup`).
// PROCTORD_WEB_FIXTURE names a built fixture binary; without it `cargo run` builds one.
// Without /usr/bin/chromium the tests are skipped, unless CI is set: then they fail.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "e2e-fixture-token";
const PASSWORD = "e2e fixture passphrase";
const SCREENSHOT = join(REPO, "target", "e2e", "status.png");
const LOGIN_SCREENSHOT = join(REPO, "target", "e2e", "login.png");
const REVIEW_SCREENSHOT = join(REPO, "target", "e2e", "review.png");
// Markup in a name must show as text, never become markup.
const CANDIDATE = `Zoë <b>O'Brien</b> & "Co"`;
const STEP_MS = 15_000;

const inCi = Boolean(process.env.CI) && process.env.CI !== "false";
const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing && inCi) throw new Error(`${CHROMIUM} is missing and CI is set: install chromium (scripts/setup.sh does).`);
const skip = chromiumMissing ? `${CHROMIUM} is missing: install chromium to run the browser test` : false;

/** Starts the fixture and resolves with its base URL once it listens. */
function startFixture() {
  const built = process.env.PROCTORD_WEB_FIXTURE;
  const [command, args] = built ? [built, []] : ["cargo", ["run", "--quiet", "-p", "proctord", "--example", "web_fixture"]];
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, PROCTORD_FIXTURE_TOKEN: TOKEN, PROCTORD_FIXTURE_PASSWORD: PASSWORD }, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`the fixture did not start within 5 minutes:\n${stderr}`)), 300_000);
    child.stdout.on("data", (d) => {
      stdout += d;
      const listening = stdout.match(/listening on (http:\/\/\S+)/);
      if (listening) { clearTimeout(timer); resolve({ child, url: listening[1] }); }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`the fixture exited (${code}) before listening:\n${stderr}`)); });
  });
}

describe("the proctor's status page", { skip }, () => {
  let fixture, context, page, userDataDir;
  const problems = [];

  /** What this tab gets from a route, with its cookie: the status code. */
  const statusOf = (path) => page.evaluate(async (p) => (await fetch(p, { cache: "no-store" })).status, path);

  async function logIn(name, password) {
    await page.fill("#login-name", name);
    await page.fill("#login-password", password);
    await page.click("#login-button");
  }

  before(async () => {
    fixture = await startFixture();
    userDataDir = mkdtempSync(join(tmpdir(), "proctord-e2e-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
      viewport: { width: 1440, height: 960 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(STEP_MS);
    page.on("console", (m) => {
      // Refusals before login and after logout are the point of several steps.
      if (m.type() === "error" && !/status of 40[13]/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    // The MJPEG image never finishes loading, so do not wait for the load event.
    await page.goto(fixture.url + "/", { waitUntil: "domcontentloaded" });
  });

  after(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (fixture) { fixture.child.stdin.end(); fixture.child.kill("SIGTERM"); }
  });

  test("shows only a login form, and the API gives a stranger nothing", async () => {
    await page.locator("#login-form").waitFor({ state: "visible" });
    assert.ok(await page.locator("#main").isHidden(), "the proctor's view shows before login");
    for (const path of ["/api/health", "/api/events/stream", "/live.jpg", "/api/interviews"]) {
      assert.equal(await statusOf(path), 401, path);
    }
    mkdirSync(dirname(LOGIN_SCREENSHOT), { recursive: true });
    await page.screenshot({ path: LOGIN_SCREENSHOT, fullPage: true });
  });

  test("refuses a wrong password with a message and stays on the form", async () => {
    await logIn("proctor", "not the passphrase");
    await page.locator("#login-msg", { hasText: "wrong name or password" }).waitFor();
    assert.ok(await page.locator("#main").isHidden());
  });

  test("logs a proctor in and connects to the live feed", async () => {
    await logIn("proctor", PASSWORD);
    await page.locator("#conn", { hasText: "Live" }).waitFor();
    assert.equal(await page.locator("#account-name").textContent(), "proctor · proctor");
    assert.equal(await page.locator("#session-state").textContent(), "No session");
    assert.ok(await page.locator("#start-form").isVisible());
    const cookieVisibleToScripts = await page.evaluate(() => document.cookie.includes("proctord_session"));
    assert.equal(cookieVisibleToScripts, false, "the login cookie must be HttpOnly");
  });

  test("starts a session through the form, showing the name as text", async () => {
    await page.fill("#candidate-input", CANDIDATE);
    await page.fill("#exam-input", "MATH-101");
    await page.click("#start-button");

    await page.locator("#session-active").waitFor({ state: "visible" });
    assert.equal(await page.locator("#candidate").textContent(), CANDIDATE);
    assert.equal(await page.locator("#candidate b").count(), 0, "the name became markup");
    assert.match(await page.locator("#exam").textContent(), /MATH-101/);
    assert.ok(await page.locator("#live-report").isHidden(), "a proctor is offered a report");
  });

  test("shows what the rules see in the photo as ongoing, and the live score falls", async () => {
    // The fixture runs the real rules engine on the photo: a phone at the ear of a man in
    // profile, his face half hidden by his hand (the landmark model does not confirm it),
    // so a person without a frontal face: looking away after 5 s.
    await page.locator("#now", { hasText: "Now: Phone detected" }).waitFor();
    await page.locator("#now", { hasText: "Now: Looking away" }).waitFor();
    const phone = page.locator("#timeline li", { hasText: "Phone detected" });
    await phone.locator(".pill", { hasText: "ongoing" }).waitFor();
    await page.waitForFunction(() => Number(document.getElementById("score").textContent) < 100);
    assert.match(await page.title(), /^⚠ Zoë/);
  });

  test("shows an event logged through the API with a bearer token on the timeline", async () => {
    const response = await fetch(fixture.url + "/api/detections/log", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ label: "Phone on the desk", note: "seen by the e2e test <script>", score: 0.87 }),
    });
    assert.equal(response.status, 201, await response.text());
    const item = page.locator("#timeline li", { hasText: "Phone on the desk" });
    await item.waitFor();
    assert.match(await item.textContent(), /confidence 87%/);
    assert.match(await item.textContent(), /seen by the e2e test <script>/);
  });

  test("shows the live camera image with the photo's size", async () => {
    await page.waitForFunction(() => document.getElementById("live").naturalWidth > 0);
    const size = await page.locator("#live").evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    assert.deepEqual(size, [640, 580]);
    assert.ok(await page.locator("#no-video").isHidden(), "the no-image notice still covers the camera");
    await page.locator("#seen", { hasText: "cell phone" }).waitFor();
  });

  test("shows the kiosk's health from the pipeline", async () => {
    await page.locator("#tile-camera .tile-value", { hasText: "5.0 fps" }).waitFor();
    await page.locator("#tile-mqtt .tile-value", { hasText: "Off" }).waitFor();
    await page.locator("#tile-outbox .tile-value", { hasText: /^\d+$/ }).waitFor();
    await page.locator("#kiosk-name", { hasText: "kiosk-01" }).waitFor();
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test("ends the session only on a second click; a proctor gets the score but not the report", async () => {
    await page.click("#end-button");
    await page.locator("#end-button", { hasText: "Click again" }).waitFor();
    assert.ok(await page.locator("#session-active").isVisible(), "one click ended the session");
    await page.click("#end-button");
    await page.locator("#last-session").waitFor({ state: "visible" });
    assert.equal(await page.locator("#last-candidate").textContent(), CANDIDATE);
    assert.ok(await page.locator("#last-pdf").isHidden(), "a proctor is offered the PDF");
    const pdf = await page.locator("#last-pdf").getAttribute("href");
    assert.match(pdf, /^\/api\/reports\/[0-9a-f-]{36}\?format=pdf$/);
    assert.equal(await statusOf(pdf), 403, "a proctor may not read reports");
    assert.ok(await page.locator("#start-form").isVisible());
  });

  test("after logging out the tab gets nothing: no camera, no events, no API", async () => {
    await page.click("#logout-button");
    await page.locator("#login-view").waitFor({ state: "visible" });
    assert.ok(await page.locator("#main").isHidden());
    assert.equal(await page.locator("#live").getAttribute("src"), null, "the camera stream is still attached");
    for (const path of ["/api/health", "/api/events/stream", "/live.jpg", "/api/me"]) {
      assert.equal(await statusOf(path), 401, path);
    }
  });

  test("logs a reviewer in, who downloads the ended session's PDF", async () => {
    await logIn("reviewer", PASSWORD);
    await page.locator("#conn", { hasText: "Live" }).waitFor();
    assert.equal(await page.locator("#account-name").textContent(), "reviewer · reviewer");
    const download = await page.evaluate(async () => {
      const list = await (await fetch("/api/interviews")).json();
      const id = list.interviews[0].id;
      const response = await fetch("/api/reports/" + id + "?format=pdf");
      const bytes = new Uint8Array(await response.arrayBuffer());
      return { status: response.status, type: response.headers.get("content-type"), magic: String.fromCharCode(...bytes.slice(0, 5)) };
    });
    assert.deepEqual(download, { status: 200, type: "application/pdf", magic: "%PDF-" });
  });

  test("a reviewer downloads the session's recording segment, which plays", async () => {
    const segment = await page.evaluate(async () => {
      const list = await (await fetch("/api/interviews")).json();
      const id = list.interviews[0].id;
      const recordings = (await (await fetch("/api/interviews/" + id + "/recordings")).json()).recordings;
      const response = await fetch(recordings[0].url);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const ranged = await fetch(recordings[0].url, { headers: { Range: "bytes=0-99" } });
      return { status: response.status, type: response.headers.get("content-type"), bytes: Array.from(bytes), ranged: ranged.status, count: recordings.length };
    });
    assert.equal(segment.status, 200);
    assert.equal(segment.type, "video/mp4");
    assert.equal(segment.ranged, 206, "a player could not seek");
    const file = join(REPO, "target", "e2e", "segment.mp4");
    writeFileSync(file, Buffer.from(segment.bytes));
    const probe = spawnSync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file], { encoding: "utf8" });
    assert.equal(probe.status, 0, probe.stderr);
    assert.ok(Number(probe.stdout) > 1, `ffprobe: ${probe.stdout} ${probe.stderr}`);
  });

  test("a reviewer plays an event's clip, cut from the recording", async () => {
    const play = page.locator("#timeline .play-clip").first();
    await play.waitFor();
    await play.click();
    await page.locator("#clip-box").waitFor({ state: "visible" });
    // The browser's player read the MP4 the kiosk cut: it knows its length and can show frames.
    await page.waitForFunction(() => {
      const v = document.getElementById("clip-player");
      if (v.error) throw new Error("the clip does not play: " + v.error.code + " " + v.error.message);
      return v.readyState >= 2 && v.duration > 0.5;
    });
    const clip = await page.locator("#clip-player").evaluate((v) => ({ src: v.getAttribute("src"), duration: v.duration }));
    assert.match(clip.src, /^\/api\/detections\/[0-9a-f-]{36}\/clip\?before_s=5&after_s=5$/);
    assert.ok(clip.duration <= 16, `a ${clip.duration} s clip of a 5 s recording`);
  });

  test("a reviewer confirms one event and dismisses another, and the report shows both scores", async () => {
    const items = page.locator("#timeline li", { has: page.locator(".confirm-event") });
    assert.ok((await items.count()) >= 2, "fewer than two events to review");
    await items.nth(0).locator(".confirm-event").click();
    await page.locator("#timeline .decision", { hasText: "confirmed by reviewer" }).waitFor();
    await items.nth(1).locator(".review-note").fill("a calculator, which is allowed");
    await items.nth(1).locator(".dismiss-event").click();
    await page.locator("#timeline .decision", { hasText: "dismissed by reviewer" }).waitFor();
    await page.locator("#timeline .decision", { hasText: "a calculator, which is allowed" }).waitFor();
    const review = await page.evaluate(async () => {
      const id = (await (await fetch("/api/interviews")).json()).interviews[0].id;
      const report = await (await fetch("/api/reports/" + id)).json();
      const html = await (await fetch("/api/reports/" + id + "?format=html")).text();
      return { review: report.review, score: report.score, log: report.access_log.map((a) => a.action), html };
    });
    assert.equal(review.review.confirmed, 1);
    assert.equal(review.review.dismissed, 1);
    assert.ok(review.review.decisions.every((d) => d.by === "reviewer"));
    assert.ok(review.log.includes("downloaded_clip") && review.log.includes("reviewed_event"), review.log.join(", "));
    assert.match(review.html, /reviewed score/);
    await page.locator("#clip-box").scrollIntoViewIfNeeded();
    await page.screenshot({ path: REVIEW_SCREENSHOT, fullPage: true });
  });

  test("a logged-out tab gets no report, recording, clip or audit log", async () => {
    const urls = await page.evaluate(async () => {
      const id = (await (await fetch("/api/interviews")).json()).interviews[0].id;
      const recording = (await (await fetch("/api/interviews/" + id + "/recordings")).json()).recordings[0].url;
      const event = (await (await fetch("/api/detections/" + id)).json()).events[0].id;
      return ["/api/reports/" + id + "?format=pdf", recording, "/api/detections/" + event + "/clip", "/api/interviews/" + id + "/audit", "/api/audit", "/metrics"];
    });
    await page.click("#logout-button");
    await page.locator("#login-view").waitFor({ state: "visible" });
    assert.ok(await page.locator("#clip-box").isHidden(), "the clip player stays after logout");
    for (const path of urls) assert.equal(await statusOf(path), 401, path);
  });

  test("reports no script errors or blocked resources", () => {
    assert.deepEqual(problems, []);
  });
});
