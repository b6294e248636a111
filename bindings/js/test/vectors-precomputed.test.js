// testdata/evaluation.json through the precomputed path (DESIGN §7): for every request without
// per-call options (a precomputed decision is made with the edge's options), the full build
// precomputes the request's payload, and both the client build (wasm, static context) and the
// pure-JS reader serve it: the details and the events must be the core's, exactly. One reader
// per case, updated with each payload, as a browser keeps one across payloads: exposures stay
// deduplicated across updates, as the core's vectors expect.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as clientBuild from '../src/client.js';
import * as full from '../src/full.js';
import { PrecomputedReader } from '../src/reader.js';
import { asJson, millis, rawValues, testdata, testdataText } from './helpers.js';
import { checkBucketing, checkPolicies } from './vectors.js';

await full.init();
await clientBuild.init();

const evaluation = testdata('evaluation.json');
const now = millis(evaluation.now);
const configs = rawValues(testdataText('evaluation.json'), 'config');

function replay(serve) {
  let requests = 0;
  for (const [index, c] of evaluation.cases.entries()) {
    if (c.config === null) continue;
    const edge = new full.Client({ now });
    edge.update(configs[index]);
    const reader = serve.make();
    for (const [i, r] of c.requests.entries()) {
      if (r.options !== undefined) continue;
      const payload = edge.precompute(r.context);
      assert.ok(payload instanceof Uint8Array);
      const details = serve.read(reader, payload, r);
      const name = `${c.name} request ${i} (${r.flag})`;
      assert.deepStrictEqual(asJson(details), r.expected, name);
      assert.deepStrictEqual(reader.drainEvents(), r.events, `${name}: events`);
      requests++;
    }
  }
  assert.ok(requests >= 80, `${requests} requests`);
}

test('client build: the build kinds are what they say', () => {
  assert.equal(full.buildKind(), 'full');
  assert.equal(clientBuild.buildKind(), 'client');
  // The client build has no config loader: `update` takes payloads, and a config is not one.
  const client = new clientBuild.Client();
  assert.throws(() => client.update('{"flags": {}}'), (e) => e.kind === 'INVALID_CONFIG' && /^v:/.test(e.message));
});

test('evaluation.json through precompute (full) and the client build (static context)', () => {
  replay({
    make: () => new clientBuild.Client({ now }),
    read(client, payload, r) {
      client.updatePrecomputed(payload);
      client.setContext({});
      return client.getDetails(r.flag, r.default, { type: r.type });
    },
  });
});

test('evaluation.json through precompute (full) and the client build (dynamic context)', () => {
  replay({
    make: () => new clientBuild.Client({ now }),
    read(client, payload, r) {
      client.updatePrecomputed(payload);
      return client.evaluate(r.flag, {}, r.default, { type: r.type });
    },
  });
});

test('evaluation.json through precompute (full) and the pure-JS reader', () => {
  replay({
    make: () => new PrecomputedReader(undefined, { now }),
    read(reader, payload, r) {
      reader.update(payload);
      return reader.getDetails(r.flag, r.default, { type: r.type });
    },
  });
});

test('not ready: the client build and the core agree before any payload', () => {
  const c = evaluation.cases.find((x) => x.config === null);
  const client = new clientBuild.Client({ now });
  for (const r of c.requests) {
    assert.deepStrictEqual(asJson(client.getDetails(r.flag, r.default, { type: r.type })), r.expected);
    assert.deepStrictEqual(client.drainEvents(), r.events);
  }
});

test('bucketing.json through the client build', () => checkBucketing(clientBuild.bucketing));

test('policies.json through the client build', () => checkPolicies(clientBuild.PolicyBundle));
