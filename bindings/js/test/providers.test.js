// Both OpenFeature providers through the stock SDKs: the web provider (static context) over the
// full build, the client build with per-context payloads, and the pure-JS reader; the server
// provider (dynamic context) over the full build. Reasons and error codes map one to one;
// provider events READY, CONFIGURATION_CHANGED, STALE and ERROR.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { OpenFeature as ServerOpenFeature, ProviderEvents as ServerEvents } from '@openfeature/server-sdk';
import { OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/web-sdk';

import * as clientBuild from '../src/client.js';
import { Client, init } from '../src/full.js';
import { PrecomputedReader } from '../src/reader.js';
import { TandemServerProvider } from '../src/server-provider.js';
import { TandemWebProvider } from '../src/web-provider.js';

await init();
await clientBuild.init();

const CONFIG = JSON.stringify({
  revision: 'r1',
  metadata: { flagSetId: 'shop' },
  flags: {
    'new-checkout': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { if: [{ '==': [{ var: 'country' }, 'SE'] }, 'on', null] },
    },
    banner: { state: 'ENABLED', variants: { a: 'Hello', b: 'Hej' }, defaultVariant: 'a' },
    limit: { state: 'ENABLED', variants: { low: 5, high: 50 }, defaultVariant: 'high' },
    theme: { state: 'ENABLED', variants: { dark: { bg: '#000' } }, defaultVariant: 'dark' },
    off: { state: 'DISABLED', variants: { on: true }, defaultVariant: 'on' },
  },
});

test('web provider over the full build: static context, context changes, reasons, errors, track', async () => {
  const tandem = new Client();
  tandem.update(CONFIG);
  const provider = new TandemWebProvider({ client: tandem });
  await OpenFeature.setContext({ targetingKey: 'user-1', country: 'SE' });
  await OpenFeature.setProviderAndWait('web-full', provider);
  const client = OpenFeature.getClient('web-full');
  assert.equal(client.providerStatus, ProviderStatus.READY);
  assert.equal(client.getBooleanValue('new-checkout', false), true);
  const details = client.getBooleanDetails('new-checkout', false);
  assert.equal(details.reason, 'TARGETING_MATCH');
  assert.equal(details.variant, 'on');
  assert.deepEqual(details.flagMetadata, { flagSetId: 'shop' });
  assert.equal(client.getStringValue('banner', 'x'), 'Hello');
  assert.equal(client.getNumberValue('limit', 0), 50);
  assert.deepEqual(client.getObjectValue('theme', {}), { bg: '#000' });
  const disabled = client.getBooleanDetails('off', false);
  assert.equal(disabled.reason, 'DISABLED');
  assert.equal(disabled.value, false);
  const missing = client.getStringDetails('nope', 'dflt');
  assert.deepEqual([missing.value, missing.reason, missing.errorCode], ['dflt', 'ERROR', 'FLAG_NOT_FOUND']);
  const mismatch = client.getNumberDetails('banner', 7);
  assert.deepEqual([mismatch.value, mismatch.reason, mismatch.errorCode], [7, 'ERROR', 'TYPE_MISMATCH']);

  await OpenFeature.setContext({ targetingKey: 'user-2', country: 'US' });
  assert.equal(client.getBooleanDetails('new-checkout', true).reason, 'DEFAULT');
  assert.equal(client.getBooleanValue('new-checkout', true), false);

  client.track('purchase', { value: 12.5, currency: 'SEK' });
  const events = tandem.drainEvents();
  assert.equal(events.length, 1);
  assert.deepEqual(
    [events[0].type, events[0].name, events[0].unit, events[0].value, events[0].properties],
    ['track', 'purchase', 'user-2', 12.5, { currency: 'SEK' }],
  );
  await OpenFeature.clearProviders();
});

test('web provider: CONFIGURATION_CHANGED on update, STALE and a typed error on a bad one', async () => {
  const tandem = Client.fromConfig(CONFIG);
  const provider = new TandemWebProvider({ client: tandem });
  await OpenFeature.setProviderAndWait('web-events', provider);
  const client = OpenFeature.getClient('web-events');
  const seen = [];
  client.addHandler(ProviderEvents.ConfigurationChanged, (e) => seen.push(['changed', e.flagsChanged.length]));
  client.addHandler(ProviderEvents.Stale, (e) => seen.push(['stale', e.message]));
  provider.update(CONFIG.replace('"Hello"', '"Hi"'));
  assert.equal(client.getStringValue('banner', 'x'), 'Hi');
  assert.throws(() => provider.update('{"flags": 3}'), (e) => e.name === 'InvalidConfigError' && e.code === 2);
  // The last good config keeps serving.
  assert.equal(client.getStringValue('banner', 'x'), 'Hi');
  assert.equal(client.providerStatus, ProviderStatus.STALE);
  assert.deepEqual(seen[0], ['changed', 5]);
  assert.equal(seen[1][0], 'stale');
  await OpenFeature.clearProviders();
});

test('web provider: an initialization failure is ERROR', async () => {
  const provider = new TandemWebProvider({
    client: new Client(),
    payloadFor: () => {
      throw new Error('edge unreachable');
    },
  });
  await assert.rejects(OpenFeature.setProviderAndWait('web-error', provider));
  assert.equal(OpenFeature.getClient('web-error').providerStatus, ProviderStatus.ERROR);
  await OpenFeature.clearProviders();
});

for (const [name, make] of [
  ['client build', () => new clientBuild.Client()],
  ['pure-JS reader', () => new PrecomputedReader()],
]) {
  test(`web provider over the ${name}: a payload per context from the edge`, async () => {
    const edge = Client.fromConfig(CONFIG);
    const asked = [];
    const provider = new TandemWebProvider({
      client: make(),
      payloadFor: async (ctx) => {
        asked.push(ctx.targetingKey);
        return edge.precompute(ctx);
      },
    });
    await OpenFeature.setContext(`payload-${name}`, { targetingKey: 'u-se', country: 'SE' });
    await OpenFeature.setProviderAndWait(`payload-${name}`, provider);
    const client = OpenFeature.getClient(`payload-${name}`);
    assert.equal(client.getBooleanValue('new-checkout', false), true);
    await OpenFeature.setContext(`payload-${name}`, { targetingKey: 'u-us', country: 'US' });
    assert.equal(client.getBooleanValue('new-checkout', true), false);
    assert.deepEqual(asked, ['u-se', 'u-us']);
    assert.equal(client.getNumberDetails('banner', 1).errorCode, 'TYPE_MISMATCH');
    await OpenFeature.clearProviders();
  });
}

test('server provider over the full build: dynamic context per evaluation', async () => {
  const tandem = Client.fromConfig(CONFIG);
  const provider = new TandemServerProvider({ client: tandem });
  await ServerOpenFeature.setProviderAndWait('server', provider);
  const client = ServerOpenFeature.getClient('server');
  assert.equal(await client.getBooleanValue('new-checkout', false, { targetingKey: 'a', country: 'SE' }), true);
  assert.equal(await client.getBooleanValue('new-checkout', true, { targetingKey: 'b', country: 'NO' }), false);
  const details = await client.getNumberDetails('limit', 0, { targetingKey: 'c' });
  assert.deepEqual([details.value, details.variant, details.reason], [50, 'high', 'STATIC']);
  const missing = await client.getObjectDetails('nope', { a: 1 }, {});
  assert.deepEqual([missing.value, missing.errorCode], [{ a: 1 }, 'FLAG_NOT_FOUND']);
  let changed = 0;
  client.addHandler(ServerEvents.ConfigurationChanged, () => changed++);
  provider.update(CONFIG);
  assert.throws(() => provider.update('not json'), (e) => e.name === 'InvalidJsonError');
  assert.equal(changed, 1);
  client.track('signup', { targetingKey: 'c' }, { value: 1 });
  assert.equal(tandem.drainEvents()[0].unit, 'c');
  await ServerOpenFeature.clearProviders();
});
