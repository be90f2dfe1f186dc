// Drives the live dashboard in Debian's headless Chromium (playwright-core
// from web/node_modules): waits for the expected flag, reads the cadence the
// page shows together with the status it came from, starts the metronome
// with a real click and checks that the Web Audio clock runs and ticks are
// scheduled, and keeps a screenshot. Prints one JSON line; exits non-zero on
// any failure. Used by tests/live_test.cpp.
//
// usage: node live_dashboard.mjs URL EXPECTED_FLAG_KIND SCREENSHOT.png
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'web', 'package.json'));
const { chromium } = require('playwright-core');

const [url, expectedFlag, screenshot] = process.argv.slice(2);
if (!url || !expectedFlag || !screenshot) {
  console.error('usage: node live_dashboard.mjs URL EXPECTED_FLAG_KIND SCREENSHOT.png');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run',
         '--autoplay-policy=no-user-gesture-required'],
});
let code = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  // The flag appears once the simulated fault has lasted the debounce time.
  await page.waitForSelector(`#flags li[data-kind="${expectedFlag}"]`, { timeout: 45000 });
  const seen = await page.evaluate(() => ({
    cadence_text: document.getElementById('cadence').textContent,
    status: window.gkStatus,
    flags: [...document.querySelectorAll('#flags li')].map((li) => li.textContent),
    not_a_diagnosis: document.getElementById('not-a-diagnosis').textContent,
    bpm_text: document.getElementById('bpm').textContent,
  }));
  await page.click('#metronome-toggle');
  await page.waitForTimeout(1500);
  const metronome = await page.evaluate(() => ({
    state: window.gkMetronome.ctx ? window.gkMetronome.ctx.state : 'none',
    running: window.gkMetronome.running,
    ticks: window.gkMetronome.ticks,
    audio_time_s: window.gkMetronome.ctx ? window.gkMetronome.ctx.currentTime : 0,
    label: document.getElementById('metronome-state').textContent,
  }));
  await page.screenshot({ path: screenshot, fullPage: true });
  const out = {
    cadence_shown: Number(seen.cadence_text),
    cadence_status: seen.status.cadence_spm,
    last_step_t_s: seen.status.last_step ? seen.status.last_step.t_s : null,
    flags: seen.flags,
    not_a_diagnosis: seen.not_a_diagnosis,
    bpm_text: seen.bpm_text,
    metronome,
    page_errors: errors,
  };
  console.log(JSON.stringify(out));
  if (errors.length) code = 1;
} catch (e) {
  console.error(String(e));
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
