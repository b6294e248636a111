// Headless Chromium (Debian's, driven by playwright-core): examples/browser loads the client
// build and the pure-JS reader from a server on 127.0.0.1, evaluates flags from a payload the
// server precomputes with the full build, runs a policy decision, and checks the results inside
// the page; leaving the page flushes its events with sendBeacon on `pagehide`. The screenshot
// is kept as a CI artifact (target/ci-artifacts/browser.png).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, normalize } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { Client, init } from '../src/full.js';
import { createOfrepHandler } from '../src/ofrep.js';
import { root } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const SERVED = ['examples/browser/', 'bindings/js/src/', 'bindings/js/dist/', 'testdata/'];

let server;
let base;
const received = [];

before(async () => {
  await init();
  const edge = createOfrepHandler({ client: Client.fromConfig(readFileSync(`${root}examples/edge-worker/flags.json`, 'utf8')) });
  server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    if (url.pathname === '/events' && req.method === 'POST') {
      received.push(...JSON.parse(body.toString('utf8')));
      res.writeHead(204).end();
      return;
    }
    if (url.pathname.startsWith('/tandem/') || url.pathname.startsWith('/ofrep/')) {
      const response = await edge(new Request(url, { method: req.method, body: req.method === 'POST' ? body : undefined, headers: req.headers }));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
      return;
    }
    const path = normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, '');
    if (!SERVED.some((prefix) => path.startsWith(prefix)) || !existsSync(`${root}${path}`)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(`${root}${path}`));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => server?.close());

test('the browser page: client build, pure-JS reader, policy, events on pagehide', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}` }, async () => {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 520 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/examples/browser/index.html`);
    await page.waitForFunction(() => window.tandemResults !== undefined, null, { timeout: 20_000 });
    const results = await page.evaluate(() => window.tandemResults);
    mkdirSync(`${root}target/ci-artifacts`, { recursive: true });
    await page.screenshot({ path: `${root}target/ci-artifacts/browser.png` });
    assert.deepEqual(errors, []);
    assert.ok(results.ok, JSON.stringify(results));
    assert.ok(results.rows.length >= 7);
    // Leaving the page fires pagehide: the queued track event goes out by sendBeacon.
    await page.goto('about:blank');
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.length, 1);
    assert.deepEqual([received[0].type, received[0].name, received[0].unit], ['track', 'page-view', 'browser-user']);
  } finally {
    await browser.close();
  }
});
