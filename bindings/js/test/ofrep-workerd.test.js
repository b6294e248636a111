// The OFREP edge worker (examples/edge-worker) in workerd, answering real HTTP requests on
// 127.0.0.1: single and bulk evaluation, ETag / If-None-Match → 304, the protocol's error
// bodies for malformed requests; then the stock OFREP web provider
// (@openfeature/ofrep-web-provider) reads Tandem flags from it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { OpenFeature } from '@openfeature/web-sdk';
import { build } from 'esbuild';

import { root } from './helpers.js';

const example = `${root}examples/edge-worker`;
const workerdBin = `${root}bindings/js/node_modules/.bin/workerd`;
let server = null;
let base = '';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitUntilUp(url, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('workerd did not start listening');
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-edge-'));
  await build({
    entryPoints: [`${example}/worker.js`],
    bundle: true,
    format: 'esm',
    outfile: join(dir, 'worker.bundle.mjs'),
    // node:fs is imported (dynamically) only when the SDK runs in Node.
    external: ['./flags.json', './tandem.wasm', 'node:*'],
    logLevel: 'warning',
  });
  copyFileSync(`${root}bindings/js/dist/full/tandem_wasm_bg.wasm`, join(dir, 'tandem.wasm'));
  copyFileSync(`${example}/flags.json`, join(dir, 'flags.json'));
  copyFileSync(`${example}/workerd.capnp`, join(dir, 'workerd.capnp'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(workerdBin, ['serve', join(dir, 'workerd.capnp'), '--socket-addr', `http=127.0.0.1:${port}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitUntilUp(`${base}/`, server);
});

after(() => server?.kill());

const post = (path, body, headers = {}) =>
  fetch(`${base}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

test('single flag: 200 with value, variant, reason and metadata', { skip: !existsSync(workerdBin) }, async () => {
  const res = await post('/ofrep/v1/evaluate/flags/new-checkout', { context: { targetingKey: 'u1', country: 'SE' } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { key: 'new-checkout', reason: 'TARGETING_MATCH', value: true, variant: 'on', metadata: { flagSetId: 'shop' } });
  const other = await (await post('/ofrep/v1/evaluate/flags/new-checkout', { context: { targetingKey: 'u2', country: 'US' } })).json();
  assert.deepEqual([other.value, other.reason], [false, 'DEFAULT']);
  const disabled = await (await post('/ofrep/v1/evaluate/flags/legacy', { context: { targetingKey: 'u2' } })).json();
  assert.deepEqual(disabled, { key: 'legacy', reason: 'DISABLED', metadata: { flagSetId: 'shop' } }, 'a disabled flag serves the code default');
});

test('bulk: one user\'s flags, an ETag, and 304 when it matches', async () => {
  const ctx = { context: { targetingKey: 'u1', country: 'NO', age: 30 } };
  const res = await post('/ofrep/v1/evaluate/flags', ctx);
  assert.equal(res.status, 200);
  const etag = res.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{16}"$/);
  const body = await res.json();
  assert.deepEqual(body.metadata, { flagSetId: 'shop' });
  const byKey = Object.fromEntries(body.flags.map((f) => [f.key, f]));
  assert.deepEqual(Object.keys(byKey).sort(), ['banner-text', 'legacy', 'max-items', 'new-checkout', 'theme']);
  assert.equal(byKey['banner-text'].value, 'Welcome back');
  assert.deepEqual(byKey.theme.value, { bg: '#000', fg: '#fff' });
  // No rules and no other user's data: only keys, values, variants, reasons, metadata.
  const text = JSON.stringify(body);
  for (const secret of ['targeting', '"in"', 'SE', 'DK', '>=']) assert.ok(!text.includes(secret), secret);
  const again = await post('/ofrep/v1/evaluate/flags', ctx, { 'if-none-match': etag });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
  const changed = await post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'u1', country: 'US', age: 30 } }, { 'if-none-match': etag });
  assert.equal(changed.status, 200);
  assert.notEqual(changed.headers.get('etag'), etag);
});

test('malformed requests get the protocol\'s error bodies', async () => {
  let res = await post('/ofrep/v1/evaluate/flags/new-checkout', '{not json');
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { key: 'new-checkout', errorCode: 'PARSE_ERROR', errorDetails: 'the request body is not JSON' });
  res = await post('/ofrep/v1/evaluate/flags', { context: 'nope' });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).errorCode, 'INVALID_CONTEXT');
  res = await post('/ofrep/v1/evaluate/flags/new-checkout', {});
  assert.equal(res.status, 400);
  assert.equal((await res.json()).errorCode, 'INVALID_CONTEXT');
  res = await post('/ofrep/v1/evaluate/flags/missing', { context: { targetingKey: 'u' } });
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { key: 'missing', errorCode: 'FLAG_NOT_FOUND', errorDetails: 'flag not found', metadata: { flagSetId: 'shop' } });
  res = await fetch(`${base}/ofrep/v1/evaluate/flags`);
  assert.equal(res.status, 405);
  res = await post('/nowhere', {});
  assert.equal(res.status, 404);
});

test('the stock OFREP web provider reads Tandem flags from the worker', async () => {
  await OpenFeature.setContext({ targetingKey: 'u7', country: 'FI', age: 16 });
  await OpenFeature.setProviderAndWait(new OFREPWebProvider({ baseUrl: base, pollInterval: 0 }));
  const client = OpenFeature.getClient();
  assert.equal(client.getBooleanValue('new-checkout', false), true);
  assert.equal(client.getStringValue('banner-text', 'x'), 'Hej!');
  assert.equal(client.getNumberValue('max-items', 0), 50);
  assert.deepEqual(client.getObjectValue('theme', {}), { bg: '#000', fg: '#fff' });
  const details = client.getBooleanDetails('new-checkout', false);
  assert.deepEqual([details.variant, details.reason], ['on', 'TARGETING_MATCH']);
  assert.equal(client.getBooleanDetails('nope', true).errorCode, 'FLAG_NOT_FOUND');
  await OpenFeature.setContext({ targetingKey: 'u8', country: 'DE', age: 40 });
  assert.equal(client.getBooleanValue('new-checkout', true), false);
  assert.equal(client.getStringValue('banner-text', 'x'), 'Welcome back');
  await OpenFeature.close();
});
