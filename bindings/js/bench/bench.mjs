// Tandem (the npm package: wasm full build, boundary costs included) side by side with
// @growthbook/growthbook, json-logic-js and @openfeature/flagd-core, in one Node process, on the
// shared workloads of ../shared/bench (its README defines the cells and the fresh contexts).
// Timings are medians of 5 batches of at least 200 ms each, after a warm-up; one number per
// cell in nanoseconds per operation. Run: `node bench/bench.mjs` from bindings/js (after
// `bash .ci/wasm`). Prints a Markdown table.
import { readFileSync } from 'node:fs';

import { GrowthBook } from '@growthbook/growthbook';
import { FlagdCore } from '@openfeature/flagd-core';
import jsonLogic from 'json-logic-js';

import { Client, PolicyBundle, init } from '../src/full.js';

const root = new URL('../../../', import.meta.url);
const benchDir = new URL('../shared/bench/', root);
const text = (name) => readFileSync(new URL(name, benchDir), 'utf8');
const w13 = text('w1-w3.flagd.json');
const w4 = text('w4-50-flags.flagd.json');
const w5 = text('w5-1000-flags.flagd.json');
const staticCtx = JSON.parse(text('static-context.json'));

const COUNTRIES = ['SE', 'US', 'NO', 'DE', 'DK', 'GB', 'FI', 'FR'];
const PLANS = ['free', 'pro', 'team', 'enterprise'];
const PLATFORMS = ['web', 'ios', 'android', 'desktop'];
const VERSIONS = ['5.12.0', '5.11.2', '5.10.0', '4.9.9', '5.12.1', '6.0.0-beta.1', '5.9.3', '5.8.0'];
const LOCALES = ['sv-SE', 'en-US', 'nb-NO', 'de-DE', 'da-DK', 'en-GB', 'fi-FI', 'fr-FR'];
/** The README's fresh 10-attribute context for iteration `i` (building it is measured). */
function fresh(i) {
  const n = (Math.imul(i & 0x1fffff, 2654435761) >>> 0).toString().padStart(10, '0');
  return {
    targetingKey: `user-${n}`,
    age: 10 + (i % 50),
    country: COUNTRIES[i & 7],
    plan: PLANS[i & 3],
    platform: PLATFORMS[(i >> 2) & 3],
    appVersion: VERSIONS[(i >> 3) & 7],
    locale: LOCALES[i & 7],
    email: `user${i & 1023}@example.com`,
    beta: (i & 16) === 0,
    sessions: i & 255,
  };
}

function measure(f) {
  let n = 1;
  // Warm-up, and a batch size that takes ≥ 200 ms.
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f(i);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= 200) break;
    n *= ms < 20 ? 10 : 2;
  }
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f(i + r * n);
    runs.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return runs.sort((a, b) => a - b)[2];
}

// ---- peers: the flagd workloads in each library's own terms ----------------------------

/** murmur3 x86 32-bit, as flagd's `fractional` hashes `flagKey + targetingKey`. */
function murmur3(key, seed = 0) {
  const bytes = new TextEncoder().encode(key);
  let h = seed >>> 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (bytes.length & 3) {
    case 3: k ^= bytes[i + 2] << 16; // falls through
    case 2: k ^= bytes[i + 1] << 8; // falls through
    case 1:
      k ^= bytes[i];
      k = Math.imul(k, c1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, c2);
      h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** json-logic-js with flagd's `fractional` added (it has no such operator of its own). */
jsonLogic.add_operation('fractional', function fractional(...buckets) {
  const key = `${this.$flagd.flagKey}${this.targetingKey}`;
  const bucket = (murmur3(key) / 0xffffffff) * 100;
  let sum = 0;
  const total = buckets.reduce((s, b) => s + b[1], 0);
  for (const [variant, weight] of buckets) {
    sum += (weight * 100) / total;
    if (bucket < sum) return variant;
  }
  return buckets[buckets.length - 1][0];
});

function jsonLogicEvaluator(config) {
  const flags = JSON.parse(config).flags;
  return (key, ctx) => {
    const f = flags[key];
    if (!f.targeting) return f.variants[f.defaultVariant];
    const data = f.targeting.fractional ? { ...ctx, $flagd: { flagKey: key } } : ctx;
    const variant = jsonLogic.apply(f.targeting, data);
    return f.variants[variant ?? f.defaultVariant];
  };
}

/** The flagd workloads as GrowthBook features: conditions and weighted experiments. */
function growthbookFeatures(config) {
  const features = {};
  for (const [key, f] of Object.entries(JSON.parse(config).flags)) {
    const def = f.variants[f.defaultVariant];
    const t = f.targeting;
    if (!t) features[key] = { defaultValue: def };
    else if (t.fractional) {
      const total = t.fractional.reduce((s, b) => s + b[1], 0);
      features[key] = {
        defaultValue: def,
        rules: [{ key, hashAttribute: 'targetingKey', variations: t.fractional.map((b) => f.variants[b[0]]), weights: t.fractional.map((b) => b[1] / total) }],
      };
    } else {
      const [cond, then] = t.if;
      const [age, country] = cond.and;
      features[key] = {
        defaultValue: def,
        rules: [{ condition: { age: { $gte: age['>='][1] }, country: { $in: country.in[1] } }, force: f.variants[then] }],
      };
    }
  }
  return features;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

// ---- the cells ---------------------------------------------------------------------------

await init();
const rows = [];
const cell = (name, results) => {
  rows.push([name, results]);
  console.error(name, JSON.stringify(results));
};

const tandem = Client.fromConfig(w13);
const flagd = new FlagdCore();
flagd.setConfigurations(w13);
const jl = jsonLogicEvaluator(w13);
const gbFeatures = growthbookFeatures(w13);
const gb = new GrowthBook({ features: gbFeatures, attributes: staticCtx, trackingCallback: () => {} });

for (const [key, dflt, kind] of [['w1-static', false, 'boolean'], ['w2-targeted', false, 'boolean'], ['w3-split', 'a', 'string']]) {
  tandem.setContext(staticCtx);
  const get = kind === 'boolean' ? (k, d) => tandem.getBooleanValue(k, d) : (k, d) => tandem.getStringValue(k, d);
  const fd = kind === 'boolean' ? (c) => flagd.resolveBooleanEvaluation(key, dflt, c, silent).value : (c) => flagd.resolveStringEvaluation(key, dflt, c, silent).value;
  cell(`${key}, reused context`, {
    tandem: measure(() => get(key, dflt)),
    growthbook: measure(() => gb.getFeatureValue(key, dflt)),
    'json-logic-js': measure(() => jl(key, staticCtx)),
    'flagd-core': measure(() => fd(staticCtx)),
  });
  cell(`${key}, fresh context`, {
    tandem: measure((i) => tandem.evaluate(key, fresh(i), dflt).value),
    growthbook: measure((i) => {
      gb.setAttributes(fresh(i));
      return gb.getFeatureValue(key, dflt);
    }),
    'json-logic-js': measure((i) => jl(key, fresh(i))),
    'flagd-core': measure((i) => fd(fresh(i))),
  });
}

const t50 = Client.fromConfig(w4);
const f50 = new FlagdCore();
f50.setConfigurations(w4);
const jl50 = jsonLogicEvaluator(w4);
const keys50 = Object.keys(JSON.parse(w4).flags);
const gb50 = new GrowthBook({ features: growthbookFeatures(w4), attributes: staticCtx, trackingCallback: () => {} });
const all = (evaluate) => {
  let x;
  for (const k of keys50) x = evaluate(k);
  return x;
};
cell('all 50 flags, reused context', {
  tandem: measure(() => t50.setContext(staticCtx)),
  'tandem precompute': measure(() => t50.precompute(staticCtx)),
  growthbook: measure(() => all((k) => gb50.getFeatureValue(k, null))),
  'json-logic-js': measure(() => all((k) => jl50(k, staticCtx))),
  'flagd-core': measure(() => f50.resolveAll(staticCtx, silent)),
});
cell('all 50 flags, fresh context', {
  tandem: measure((i) => t50.setContext(fresh(i))),
  'tandem precompute': measure((i) => t50.precompute(fresh(i))),
  growthbook: measure((i) => {
    gb50.setAttributes(fresh(i));
    return all((k) => gb50.getFeatureValue(k, null));
  }),
  'json-logic-js': measure((i) => {
    const c = fresh(i);
    return all((k) => jl50(k, c));
  }),
  'flagd-core': measure((i) => f50.resolveAll(fresh(i), silent)),
});

const loader = new Client();
const f1000 = new FlagdCore();
const gb1000Features = growthbookFeatures(w5);
cell('load 1,000 flags', {
  tandem: measure(() => loader.update(w5)),
  growthbook: measure(() => new GrowthBook({ features: JSON.parse(JSON.stringify(gb1000Features)) })),
  'json-logic-js': measure(() => jsonLogicEvaluator(w5)),
  'flagd-core': measure(() => f1000.setConfigurations(w5)),
});

const policies = readFileSync(new URL('testdata/policies.json', root), 'utf8');
const start = policies.indexOf('"linear-greedy": ') + '"linear-greedy": '.length;
let depth = 0;
let end = start;
for (let inString = false; end < policies.length; end++) {
  const c = policies[end];
  if (inString) {
    if (c === '\\') end++;
    else if (c === '"') inString = false;
  } else if (c === '"') inString = true;
  else if (c === '{') depth++;
  else if (c === '}' && --depth === 0) break;
}
const bundle = new PolicyBundle(policies.slice(start, end + 1));
cell('linear policy decision', { tandem: measure((i) => bundle.decide({ targetingKey: `u${i}`, age: 20 + (i % 40), tenure_days: i % 400, member: (i & 1) === 0 })) });

const peers = ['growthbook', 'json-logic-js', 'flagd-core'];
const fmt = (ns) => (ns === undefined ? '—' : ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
console.log(`| cell | Tandem | ${peers.join(' | ')} | fastest peer ÷ Tandem |`);
console.log(`|---|---:|${peers.map(() => '---:').join('|')}|---:|`);
for (const [name, r] of rows) {
  const best = Math.min(...peers.map((p) => r[p] ?? Infinity));
  const extra = r['tandem precompute'] === undefined ? '' : ` (precompute ${fmt(r['tandem precompute'])})`;
  console.log(`| ${name} | ${fmt(r.tandem)}${extra} | ${peers.map((p) => fmt(r[p])).join(' | ')} | ${Number.isFinite(best) ? (best / r.tandem).toFixed(2) : '—'} |`);
}
