// The shared vectors through the full build (testdata/README.md): evaluation.json replayed
// request by request on the dynamic path, as the core's own test does (a new client per case,
// the file's fixed clock, events drained after each request), and again on the static path;
// bucketing.json and policies.json through the wasm's bucketing and policy bundles.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Client, init } from '../src/full.js';
import { asJson, millis, rawValues, testdata, testdataText } from './helpers.js';
import { checkBucketing, checkPolicies, requestsOf } from './vectors.js';

await init();

const evaluation = testdata('evaluation.json');
const now = millis(evaluation.now);
const configs = rawValues(testdataText('evaluation.json'), 'config');

function clientFor(index) {
  const client = new Client({ now });
  if (evaluation.cases[index].config !== null) client.update(configs[index]);
  return client;
}

test('evaluation.json: every request on the dynamic path (evaluate)', () => {
  let requests = 0;
  for (const [index, c] of evaluation.cases.entries()) {
    const client = clientFor(index);
    for (const [i, r] of c.requests.entries()) {
      const details = client.evaluate(r.flag, r.context, r.default, { type: r.type, ...r.options });
      const name = `${c.name} request ${i} (${r.flag})`;
      assert.deepStrictEqual(asJson(details), r.expected, name);
      assert.deepStrictEqual(client.drainEvents(), r.events, `${name}: events`);
      requests++;
    }
  }
  assert.equal(configs.length, evaluation.cases.length);
  assert.ok(requests >= 90, `${requests} requests`);
});

test('evaluation.json: every request without options on the static path (setContext + read)', () => {
  let requests = 0;
  for (const [index, c] of evaluation.cases.entries()) {
    const client = clientFor(index);
    for (const [i, r] of requestsOf(c)) {
      if (r.options !== undefined) continue;
      client.setContext(r.context);
      const details = client.getDetails(r.flag, r.default, { type: r.type });
      const name = `${c.name} request ${i} (${r.flag})`;
      assert.deepStrictEqual(asJson(details), r.expected, name);
      assert.deepStrictEqual(client.drainEvents(), r.events, `${name}: events`);
      // A second read serves the cache and logs nothing more.
      assert.deepStrictEqual(asJson(client.getDetails(r.flag, r.default, { type: r.type })), r.expected);
      assert.deepStrictEqual(client.drainEvents(), [], `${name}: a second read logs nothing`);
      requests++;
    }
  }
  assert.ok(requests >= 80, `${requests} requests`);
});

test('bucketing.json: every case through the full build', async () => {
  const { bucketing } = await import('../src/full.js');
  checkBucketing(bucketing);
});

test('policies.json: every case through the full build', async () => {
  const { PolicyBundle } = await import('../src/full.js');
  checkPolicies(PolicyBundle);
});
