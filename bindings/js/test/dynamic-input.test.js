// The dynamic path's input buffers (`Client.evaluate` writes a context's typed attributes into
// wasm memory and passes only integers): non-ASCII text, values that outgrow the buffers, and
// wasm memory that grows between calls must all reach the core intact.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Client, init } from '../src/full.js';

const wasm = await init();

const config = JSON.stringify({
  flags: {
    city: {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { if: [{ in: [{ var: 'city' }, ['Malmö', '東京', '😀x', 'plain']] }, 'on', 'off'] },
    },
    note: {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { if: [{ starts_with: [{ var: 'note' }, 'abc'] }, 'on', 'off'] },
    },
  },
});

const value = (client, flag, ctx) => client.evaluate(flag, ctx, null).value;

test('non-ASCII strings, alone and after ASCII ones, arrive as written', () => {
  const client = Client.fromConfig(config);
  for (const city of ['Malmö', '東京', '😀x', 'plain']) {
    // The targeting key and the note come after `city` in the attribute order: ASCII before
    // and after the non-ASCII value exercise where the encoder switches to TextEncoder.
    const ctx = { targetingKey: 'user-é-1', city, note: 'abc-ü' };
    assert.equal(value(client, 'city', ctx), true, city);
    assert.equal(value(client, 'note', ctx), true, `${city}: note`);
  }
  for (const city of ['Malmo', '東', '😀', 'plain ']) {
    assert.equal(value(client, 'city', { targetingKey: 'u', city }), false, city);
  }
});

test('a value larger than the input buffers grows them, and later calls still read right', () => {
  const client = Client.fromConfig(config);
  assert.equal(value(client, 'note', { note: 'abc' }), true);
  const long = `abc${'é'.repeat(50_000)}${'x'.repeat(100_000)}`;
  assert.equal(value(client, 'note', { note: long, city: 'Malmö' }), true);
  assert.equal(value(client, 'city', { note: long, city: 'Malmö' }), true);
  assert.equal(value(client, 'note', { note: `x${long}` }), false);
  assert.equal(value(client, 'note', { note: 'abc' }), true);
});

test('wasm memory that grows between calls does not break the input views', () => {
  const client = Client.fromConfig(config);
  assert.equal(value(client, 'city', { city: '東京' }), true);
  const before = wasm.memory.buffer.byteLength;
  // Another client loading a large config grows the shared wasm memory.
  const flags = {};
  for (let i = 0; i < 4000; i++) {
    flags[`f${i}`] = {
      state: 'ENABLED',
      variants: { on: `value ${i} ${'v'.repeat(200)}`, off: 'off' },
      defaultVariant: 'off',
      targeting: { if: [{ in: [{ var: 'country' }, ['SE', 'NO', `C${i}`]] }, 'on', 'off'] },
    };
  }
  const big = Client.fromConfig({ flags });
  assert.ok(wasm.memory.buffer.byteLength > before, 'the memory grew');
  assert.equal(value(client, 'city', { city: '東京' }), true);
  assert.equal(value(client, 'city', { city: 'Tokyo' }), false);
  assert.equal(value(big, 'f7', { country: 'C7' }), `value 7 ${'v'.repeat(200)}`);
  big.free();
});
