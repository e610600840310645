// Renders every HTML reference page of a published bundle in headless Chromium and checks that it
// shows what a partner needs: it loads without errors, its stylesheet applies, it has a title and
// a heading, no Markdown is left unrendered, an event page shows its field tables and sample, and
// every link inside the bundle leads to a file that exists.
//
// The bundle is served over HTTP on 127.0.0.1, as a partner would host it.
//
// usage: node render.mjs <bundle dir> [screenshot.png]
// Chromium is /usr/bin/chromium unless CHROMIUM names another binary.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';
import { chromium } from 'playwright-core';

const [bundleArg, screenshot] = process.argv.slice(2);
if (!bundleArg) {
  console.error('usage: node render.mjs <bundle dir> [screenshot.png]');
  process.exit(2);
}
const bundle = resolve(bundleArg);
const referenceDir = join(bundle, 'reference');

async function htmlFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await htmlFiles(path)));
    else if (entry.name.endsWith('.html')) out.push(path);
  }
  return out.sort();
}

const pages = await htmlFiles(referenceDir);
if (pages.length === 0) {
  console.error(`no HTML pages in ${referenceDir}`);
  process.exit(1);
}

const types = { '.html': 'text/html', '.css': 'text/css', '.json': 'application/json', '.md': 'text/markdown' };
const server = createServer(async (req, res) => {
  const path = resolve(bundle, '.' + decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!path.startsWith(bundle + sep) || !existsSync(path)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
  res.end(await readFile(path));
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = await browser.newPage();
let problems = [];
page.on('console', (m) => {
  if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
});
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
page.on('response', (r) => {
  if (!r.ok()) problems.push(`HTTP ${r.status()} for ${r.url()}`);
});

let failed = 0;
for (const file of pages) {
  const name = relative(bundle, file);
  problems = [];
  const url = `${origin}/${name.split(sep).join('/')}`;
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response || !response.ok()) problems.push('did not load');
  const facts = await page.evaluate(() => ({
    title: document.title,
    h1: document.querySelector('h1')?.textContent ?? '',
    tables: document.querySelectorAll('main table').length,
    rows: document.querySelectorAll('main table tbody tr').length,
    samples: document.querySelectorAll('main pre code').length,
    styled: getComputedStyle(document.querySelector('th') ?? document.body).backgroundColor,
    cssRules: [...document.styleSheets].reduce((n, s) => n + s.cssRules.length, 0),
    text: document.querySelector('main')?.innerText ?? '',
    links: [...document.querySelectorAll('a[href]')].map((a) => a.href),
  }));
  if (!facts.title) problems.push('no <title>');
  if (!facts.h1.trim()) problems.push('no <h1>');
  if (facts.cssRules === 0) problems.push('stylesheet did not apply');
  if (facts.tables === 0 || facts.rows === 0) problems.push('no table rows');
  if (/\|\s*---|```/.test(facts.text)) problems.push('unrendered Markdown in the page');
  const isEvent = !file.endsWith('index.html');
  if (isEvent) {
    for (const section of ['Envelope', 'Data schema', 'Sample payload', 'Retry behaviour', 'Verification']) {
      if (!facts.text.includes(section)) problems.push(`no "${section}" section`);
    }
    if (facts.h1.trim() !== file.split('/').pop().replace(/\.html$/, '')) {
      problems.push(`heading "${facts.h1}" is not the event type`);
    }
  }
  for (const href of facts.links) {
    if (!href.startsWith(origin)) continue;
    const target = join(bundle, decodeURIComponent(new URL(href).pathname));
    if (!existsSync(target)) problems.push(`broken link to ${relative(bundle, target)}`);
  }
  if (problems.length > 0) {
    failed += 1;
    for (const p of problems) console.log(`${name}: ${p}`);
  }
  if (screenshot && name === 'reference/valara/listing.updated.html') {
    await page.screenshot({ path: screenshot, fullPage: true });
  }
}
await browser.close();
server.close();
console.log(`${pages.length - failed} of ${pages.length} reference pages render correctly`);
if (failed > 0) process.exit(1);
