// Step definitions for the OpenFeature spec's evaluation, metadata and context-merging
// features, run through `@openfeature/server-sdk` and Tandem's server provider over the full
// build, serving `test-flags.json` through `adapter.js`. Steps about SDK machinery a provider
// takes no part in (hooks, immutability of the SDK's objects, CACHED which a local evaluator
// never returns) are not defined: their scenarios are counted as skipped.
import assert from 'node:assert/strict';

import {
  AsyncLocalStorageTransactionContextPropagator,
  OpenFeature,
  ProviderFatalError,
} from '@openfeature/server-sdk';

import { TandemServerProvider } from '../../src/server-provider.js';

const parse = (type, text) => {
  switch (type) {
    case 'Boolean':
      return text === 'true';
    case 'Integer':
      return Number.parseInt(text, 10);
    case 'Float':
      return Number.parseFloat(text);
    case 'Object':
      return text === 'null' ? null : JSON.parse(text);
    default:
      return text;
  }
};

const method = { Boolean: 'getBooleanDetails', String: 'getStringDetails', Integer: 'getNumberDetails', Float: 'getNumberDetails', Object: 'getObjectDetails' };

/** A provider that also keeps the merged context it was last asked with. */
class RetrievableContextProvider extends TandemServerProvider {
  async resolveBooleanEvaluation(flagKey, defaultValue, context) {
    this.lastContext = context;
    return super.resolveBooleanEvaluation(flagKey, defaultValue, context);
  }
}

let domains = 0;

/** Thrown by a step whose scenario cannot run here: the scenario is counted as skipped. */
export class Skip extends Error {}

// The SDK logs provider initialization failures, which these scenarios cause on purpose.
const silent = { error() {}, warn() {}, info() {}, debug() {} };
OpenFeature.setLogger(silent);

/** Returns `[pattern, run(world, ...groups, table)]` pairs. */
export function steps(Client, config) {
  const known = new Set(Object.keys(JSON.parse(config).flags));
  const provider = async (world, kind) => {
    const domain = `gherkin-${domains++}`;
    world.domain = domain;
    const client = new Client();
    let load = () => config;
    if (kind === 'not ready') load = () => new Promise(() => {});
    if (kind === 'error') load = () => Promise.reject(new Error('the config could not be fetched'));
    if (kind === 'fatal') load = () => Promise.reject(new ProviderFatalError('the config is unusable'));
    const p = new TandemServerProvider({ client, load });
    world.provider = p;
    if (kind === 'stable' || kind === 'stale') await OpenFeature.setProviderAndWait(domain, p);
    else {
      OpenFeature.setProvider(domain, p);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (kind === 'stale') assert.throws(() => p.update('{"flags": 1}'));
    world.client = OpenFeature.getClient(domain);
  };
  const levels = ['API', 'Transaction', 'Client', 'Invocation', 'Before Hooks'];
  const addLevel = (world, level, key, value) => {
    (world.levels[level] ??= {})[key] = value;
  };
  return [
    [/^a stable provider$/, (w) => provider(w, 'stable')],
    [/^an? (not ready|error|fatal|stale|stable) provider$/, (w, kind) => provider(w, kind)],
    [/^the provider status should be "([^"]*)"$/, (w, status) => assert.equal(w.client.providerStatus, status)],
    [/^an? (Boolean|String|Integer|Float|Object)-flag with key "([^"]*)" and a fallback value "(.*)"$/, (w, type, key, text) => {
      w.flag = { type, key, fallback: parse(type, text) };
    }],
    [/^a context containing a key "([^"]*)", with type "([^"]*)" and with value "([^"]*)"$/, (w, key, type, text) => {
      (w.context ??= {})[key] = parse(type, text);
    }],
    [/^a context containing a key "([^"]*)" with null value$/, (w, key) => {
      (w.context ??= {})[key] = null;
    }],
    [/^the flag was evaluated with details$/, async (w) => {
      w.details = await w.client[method[w.flag.type]](w.flag.key, w.flag.fallback, w.context ?? {});
    }],
    [/^the flag was evaluated with details asynchronously$/, async (w) => {
      w.pending = w.client[method[w.flag.type]](w.flag.key, w.flag.fallback, w.context ?? {});
      w.details = await w.pending;
    }],
    [/^the evaluation should complete without blocking$/, (w) => assert.ok(w.pending instanceof Promise)],
    [/^the resolved details value should be "(.*)"$/, (w, text) => assert.deepStrictEqual(w.details.value, parse(w.flag.type, text))],
    [/^the reason should be "([^"]*)"$/, (w, reason) => {
      if (reason === 'CACHED') throw new Skip('Tandem evaluates locally on every call: it never answers CACHED');
      assert.equal(w.details.reason, reason);
    }],
    [/^the error-code should be "([^"]*)"$/, (w, code) => assert.equal(w.details.errorCode, code)],
    [/^the flag key should be "([^"]*)"$/, (w, key) => assert.equal(w.details.flagKey, key)],
    [/^the variant should be "([^"]*)"$/, (w, variant) => assert.equal(w.details.variant, variant)],
    [/^the resolved metadata should contain$/, (w, table) => {
      const [, ...rows] = table;
      for (const [key, type, value] of rows) assert.deepStrictEqual(w.details.flagMetadata[key], parse(type, value), key);
    }],
    [/^the resolved metadata is empty$/, (w) => assert.deepEqual(w.details.flagMetadata, {})],
    // evaluation.feature (deprecated wording)
    [/^an? (boolean|string|integer|float|object) flag with key "([^"]*)" is evaluated with (details and )?(?:a null default value|default value "?([^"]*)"?)$/, async (w, type, key, details, text) => {
      const t = type[0].toUpperCase() + type.slice(1);
      w.flag = { type: t, key, fallback: text === undefined ? null : parse(t, text) };
      w.details = await w.client[method[t]](key, w.flag.fallback, w.context ?? {});
    }],
    [/^the resolved (?:boolean|string|integer|float) (?:details )?value should be "?([^"]*)"?(?:, the variant should be "([^"]*)", and the reason should be "([^"]*)")?$/, (w, text, variant, reason) => {
      assert.deepStrictEqual(w.details.value, parse(w.flag.type, text));
      if (variant !== undefined) assert.deepEqual([w.details.variant, w.details.reason], [variant, reason]);
    }],
    [/^the resolved object (?:details )?value should be contain fields "([^"]*)", "([^"]*)", and "([^"]*)", with values "([^"]*)", "([^"]*)" and (\d+), respectively$/, (w, a, b, c, va, vb, vc) => {
      assert.deepStrictEqual([w.details.value[a], w.details.value[b], w.details.value[c]], [va === 'true', vb, Number(vc)]);
    }],
    [/^the variant should be "([^"]*)", and the reason should be "([^"]*)"$/, (w, variant, reason) => {
      assert.deepEqual([w.details.variant, w.details.reason], [variant, reason]);
    }],
    [/^context contains keys "([^"]*)", "([^"]*)", "([^"]*)", "([^"]*)" with values "([^"]*)", "([^"]*)", (\d+), "([^"]*)"$/, (w, k1, k2, k3, k4, v1, v2, v3, v4) => {
      w.context = { [k1]: v1, [k2]: v2, [k3]: Number(v3), [k4]: v4 === 'true' };
    }],
    [/^a flag with key "([^"]*)" is evaluated with default value "([^"]*)"$/, async (w, key, fallback) => {
      if (!known.has(key)) throw new Skip(`flag "${key}" is not in test-flags.json (the deprecated feature's flags came from elsewhere)`);
      w.flag = { type: 'String', key, fallback };
      w.details = await w.client.getStringDetails(key, fallback, w.context ?? {});
    }],
    [/^the resolved string response should be "([^"]*)"$/, (w, value) => assert.equal(w.details.value, value)],
    [/^the resolved flag value is "([^"]*)" when the context is empty$/, async (w, value) => {
      assert.equal(await w.client.getStringValue(w.flag.key, w.flag.fallback, {}), value);
    }],
    [/^a non-existent string flag with key "([^"]*)" is evaluated with details and a fallback value "([^"]*)"$/, async (w, key, fallback) => {
      w.flag = { type: 'String', key, fallback };
      w.details = await w.client.getStringDetails(key, fallback, {});
    }],
    [/^a string flag with key "([^"]*)" is evaluated as an integer, with details and a fallback value (\d+)$/, async (w, key, fallback) => {
      w.flag = { type: 'Integer', key, fallback: Number(fallback) };
      w.details = await w.client.getNumberDetails(key, Number(fallback), {});
    }],
    [/^the default (?:string|integer) value should be returned$/, (w) => assert.deepStrictEqual(w.details.value, w.flag.fallback)],
    [/^the reason should indicate an error and the error code should indicate a (?:missing flag|type mismatch) with "([^"]*)"$/, (w, code) => {
      assert.deepEqual([w.details.reason, w.details.errorCode], ['ERROR', code]);
    }],
    // contextMerging.feature: the provider sees the merged context.
    [/^a stable provider with retrievable context is registered$/, async (w) => {
      OpenFeature.setTransactionContextPropagator(new AsyncLocalStorageTransactionContextPropagator());
      const domain = `gherkin-${domains++}`;
      w.provider = new RetrievableContextProvider({ client: new Client(), load: () => config });
      await OpenFeature.setProviderAndWait(domain, w.provider);
      w.client = OpenFeature.getClient(domain);
      w.levels = {};
    }],
    [/^A context entry with key "([^"]*)" and value "([^"]*)" is added to the "([^"]*)" level$/, (w, key, value, level) => addLevel(w, level, key, value)],
    [/^A table with levels of increasing precedence$/, () => {}],
    [/^Context entries for each level from API level down to the "([^"]*)" level, with key "([^"]*)" and value "([^"]*)"$/, (w, last, key, value) => {
      for (const level of levels.slice(0, levels.indexOf(last) + 1)) addLevel(w, level, key, value);
    }],
    [/^Some flag was evaluated$/, async (w) => {
      const l = w.levels;
      OpenFeature.setContext(l.API ?? {});
      w.client.setContext(l.Client ?? {});
      const hooks = l['Before Hooks'] ? [{ before: () => l['Before Hooks'] }] : [];
      const evaluate = () => w.client.getBooleanValue('boolean-flag', false, l.Invocation ?? {}, { hooks });
      if (l.Transaction) await OpenFeature.setTransactionContext(l.Transaction, evaluate);
      else await evaluate();
    }],
    [/^The merged context contains an entry with key "([^"]*)" and value "([^"]*)"$/, (w, key, value) => {
      assert.equal(w.provider.lastContext[key], value);
    }],
  ];
}
