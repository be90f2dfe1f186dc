// Drives `gaitkeeper coach` in headless Chromium (playwright-core with
// Debian's /usr/bin/chromium): opens the index, a session's report, an
// athlete's trend, and compares two sessions through the form, as a coach
// would click. Prints what coach_test checks as JSON (with the script errors
// seen on any page); a screenshot of each
// page goes to OUT_DIR.
// Usage: node coach.js URL OUT_DIR
const { chromium } = require('playwright-core');
const path = require('path');

(async () => {
  const [url, outDir] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
    const external = [];
    page.on('request', (r) => { if (!r.url().startsWith(new URL(url).origin)) external.push(r.url()); });
    // Script errors on any page the coach opens, uncaught or logged.
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) errors.push(r.status() + ' ' + r.url()); });
    const out = {};
    await page.goto(url, { waitUntil: 'load' });
    out.index = await page.evaluate(() => ({
      title: document.title,
      sessions: document.querySelectorAll('#sessions tr').length - 1,
      athletes: Array.from(document.querySelectorAll('#athletes a')).map((a) => a.textContent),
    }));
    await page.screenshot({ path: path.join(outDir, 'coach_index.png'), fullPage: true });

    // A session's report, by clicking its id.
    await Promise.all([page.waitForNavigation(), page.click('#sessions tr:nth-child(2) a')]);
    out.session = await page.evaluate(() => ({
      title: document.title,
      url: location.pathname,
      charts: document.querySelectorAll('svg.chart').length,
      summary: Array.from(document.querySelectorAll('#summary tr')).map((tr) =>
        Array.from(tr.children).map((c) => c.textContent.trim())),
    }));
    await page.screenshot({ path: path.join(outDir, 'coach_session.png'), fullPage: true });

    // The pain-log field under the report: 6/10 during, 5/10 after.
    await page.fill('#pain-form input[name=pain]', '6');
    await page.fill('#pain-form input[name=after]', '5');
    await Promise.all([page.waitForNavigation(), page.click('#log-pain')]);
    out.logged = await page.evaluate(() => ({
      heading: (document.getElementById('logged') || {}).textContent || '',
      flags: Array.from(document.querySelectorAll('.pain-flag')).map((p) => p.textContent),
    }));
    await page.goto(url, { waitUntil: 'load' });

    // Compare: A = the first row, B = the second.
    await page.check('#sessions tr:nth-child(2) input[name=a]');
    await page.check('#sessions tr:nth-child(3) input[name=b]');
    await Promise.all([page.waitForNavigation(), page.click('#compare')]);
    out.compare = await page.evaluate(() => ({
      title: document.title,
      url: location.pathname + location.search,
      rows: Array.from(document.querySelectorAll('#compare tr')).map((tr) =>
        Array.from(tr.children).map((c) => c.textContent.trim())),
    }));
    await page.screenshot({ path: path.join(outDir, 'coach_compare.png'), fullPage: true });
    await page.goBack();

    // The athlete's trend.
    await Promise.all([page.waitForNavigation(), page.click('#athletes a')]);
    out.athlete = await page.evaluate(() => ({
      title: document.title,
      hasShoes: !!document.getElementById('shoes'),
      hasPlan: !!document.getElementById('plan'),
      painRows: Array.from(document.querySelectorAll('#pain tr')).map((tr) =>
        Array.from(tr.children).map((c) => c.textContent.trim())),
      charts: document.querySelectorAll('svg.chart').length,
    }));
    out.external = external;
    out.errors = errors;
    process.stdout.write(JSON.stringify(out, null, 1) + '\n');
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
