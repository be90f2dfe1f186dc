// Opens an HTML report in headless Chromium (Debian's /usr/bin/chromium via
// playwright-core from web/node_modules), saves a full-page screenshot and
// prints what report_test checks as JSON: the summary table's rows, every
// SVG chart's rendered size, and every request the page made.
// Usage: NODE_PATH=web/node_modules node render_report.js REPORT.html SHOT.png
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

(async () => {
  const [html, shot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.GK_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto('file://' + path.resolve(html), { waitUntil: 'load' });
    await page.screenshot({ path: shot, fullPage: true });
    const result = await page.evaluate(() => {
      const rows = Array.from(document.querySelectorAll('#summary tr')).map((tr) =>
        Array.from(tr.children).map((c) => c.textContent.trim()));
      const svgs = Array.from(document.querySelectorAll('svg.chart')).map((s) => {
        const r = s.getBoundingClientRect();
        return { id: s.id, width: r.width, height: r.height, shapes: s.querySelectorAll('polyline,circle,rect').length };
      });
      // The athlete report's coaching tables (shoes, pain log, plan), as shown.
      const tables = {};
      for (const id of ['shoes', 'pain', 'plan']) {
        const el = document.getElementById(id);
        if (!el) continue;
        const r = el.getBoundingClientRect();
        tables[id] = {
          visible: r.width > 0 && r.height > 0,
          rows: Array.from(el.querySelectorAll('tr')).map((tr) =>
            Array.from(tr.children).map((c) => c.textContent.trim())),
          text: el.textContent.trim(),
        };
      }
      const notes = Array.from(document.querySelectorAll('.pain-flag')).map((n) => n.textContent.trim());
      return { title: document.title, rows, svgs, tables, notes };
    });
    result.requests = requests;
    result.consoleErrors = consoleErrors;
    process.stdout.write(JSON.stringify(result, null, 1) + '\n');
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
