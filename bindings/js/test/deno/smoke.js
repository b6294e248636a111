// Deno: the package imported unchanged (ESM, the wasm fetched from a file URL next to it) and
// evaluated — both wasm builds and the pure-JS reader. Prints the plain closing line
// "deno: N passed, N failed" and exits non-zero on any failure.
import * as full from '../../src/full.js';
import * as clientBuild from '../../src/client.js';
import { PrecomputedReader } from '../../src/reader.js';

let passed = 0;
let failed = 0;
function check(name, actual, expected) {
  if (JSON.stringify(actual) === JSON.stringify(expected)) {
    passed++;
  } else {
    failed++;
    console.error(`FAIL ${name}: ${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
  }
}

const config = await Deno.readTextFile(new URL('../../../../examples/edge-worker/flags.json', import.meta.url));
await full.init();
await clientBuild.init();
check('build kinds', [full.buildKind(), clientBuild.buildKind()], ['full', 'client']);

const client = full.Client.fromConfig(config);
const dynamic = client.evaluate('new-checkout', { targetingKey: 'u1', country: 'SE' }, false);
check('dynamic evaluate', [dynamic.value, dynamic.variant, dynamic.reason], [true, 'on', 'TARGETING_MATCH']);
client.setContext({ targetingKey: 'u2', country: 'US', age: 20 });
check('static getters', [client.getBooleanValue('new-checkout', true), client.getStringValue('banner-text', '')], [false, 'Welcome back']);
check('type mismatch', client.getNumberDetails('banner-text', 1).errorCode, 'TYPE_MISMATCH');

const payload = client.precompute({ targetingKey: 'u3', country: 'NO', age: 12 });
const fromPayload = clientBuild.Client.fromPrecomputed(payload);
check('client build', fromPayload.getBooleanValue('new-checkout', false), true);
const reader = new PrecomputedReader(payload);
check('pure-JS reader', [reader.getStringValue('banner-text', ''), reader.getObjectValue('theme', {})], ['Hej!', { bg: '#000', fg: '#fff' }]);

try {
  client.update('{"flags": 7}');
  check('bad update throws', 'no error', 'InvalidConfigError');
} catch (e) {
  check('bad update throws a typed error', [e.name, e.code, e instanceof full.TandemError], ['InvalidConfigError', 2, true]);
}
check('last good config serves', client.evaluate('max-items', {}, 0).value, 50);
check('bucketing', full.bucketing.bucket('experiment/x', 'user-1'), clientBuild.bucketing.bucket('experiment/x', 'user-1'));

console.log(`deno: ${passed} passed, ${failed} failed`);
if (failed > 0) Deno.exit(1);
