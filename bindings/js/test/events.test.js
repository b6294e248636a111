// Event delivery: batching on the timer and on size, retries with backoff up to a bound, the
// dropped count, and the page-hide flush with sendBeacon. Timers are a fake the test advances.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EventDelivery } from '../src/events.js';
import { PrecomputedReader } from '../src/reader.js';

/** Timers that fire only when the test says so. */
function fakeTimers() {
  const timers = new Map();
  let next = 1;
  return {
    setInterval: (f, ms) => (timers.set(next, { f, ms, repeat: true }), next++),
    clearInterval: (id) => timers.delete(id),
    setTimeout: (f, ms) => (timers.set(next, { f, ms, repeat: false }), next++),
    clearTimeout: (id) => timers.delete(id),
    /** Fires every timer once (timeouts are removed); returns the delays of the timeouts fired. */
    fire() {
      const delays = [];
      for (const [id, t] of [...timers]) {
        if (!t.repeat) {
          timers.delete(id);
          delays.push(t.ms);
        }
        t.f();
      }
      return delays;
    },
    get timeouts() {
      return [...timers.values()].filter((t) => !t.repeat).map((t) => t.ms);
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function source(n) {
  const reader = new PrecomputedReader(undefined, { now: 0 });
  for (let i = 0; i < n; i++) reader.track('e', `u${i}`, i);
  return reader;
}

test('sends in batches when enough events are queued', async () => {
  const timers = fakeTimers();
  const sent = [];
  const reader = source(250);
  const delivery = new EventDelivery(reader, { send: (b) => sent.push(b.length), timers, batchSize: 100, flushIntervalMs: 1e9 }).start();
  timers.fire();
  await settle();
  assert.deepEqual(sent, [100, 100, 50]);
  assert.deepEqual(delivery.stats(), { delivered: 250, dropped: 0, retries: 0, batches: 3, pending: 0 });
  delivery.stop();
});

test('sends a small queue on the timer only once the interval has passed', async () => {
  const timers = fakeTimers();
  const sent = [];
  const reader = source(3);
  const delivery = new EventDelivery(reader, { send: (b) => sent.push(b.length), timers, flushIntervalMs: 0 }).start();
  timers.fire();
  await settle();
  assert.deepEqual(sent, [3]);
  const idleTimers = fakeTimers();
  const idle = new EventDelivery(source(3), { send: (b) => sent.push(b.length), timers: idleTimers, flushIntervalMs: 1e9 }).start();
  idleTimers.fire();
  await settle();
  assert.deepEqual(sent, [3], 'not due, not full: nothing sent');
  delivery.stop();
});

test('retries a failed batch with doubling backoff, then drops it and counts it', async () => {
  const timers = fakeTimers();
  let calls = 0;
  const reader = source(5);
  const delivery = new EventDelivery(reader, {
    send: async () => {
      calls++;
      throw new Error('offline');
    },
    timers,
    maxRetries: 3,
    backoffMs: 100,
  });
  await delivery.flush();
  const delays = [];
  for (let i = 0; i < 3; i++) {
    delays.push(...timers.fire());
    await settle();
  }
  assert.deepEqual(delays, [100, 200, 400]);
  assert.equal(calls, 4, 'the first try and three retries');
  assert.deepEqual(timers.timeouts, [], 'no retry after the bound');
  const stats = delivery.stats();
  assert.deepEqual([stats.delivered, stats.dropped, stats.retries, stats.pending], [0, 5, 3, 0]);
});

test('a batch that fails once is delivered on the retry', async () => {
  const timers = fakeTimers();
  const sent = [];
  let fail = true;
  const delivery = new EventDelivery(source(2), {
    send: (b) => {
      if (fail) {
        fail = false;
        return false;
      }
      sent.push(b.length);
      return true;
    },
    timers,
  });
  await delivery.flush();
  assert.deepEqual(sent, []);
  timers.fire();
  await settle();
  assert.deepEqual(sent, [2]);
  assert.equal(delivery.stats().dropped, 0);
});

test('pending events are bounded; the overflow is counted as dropped', async () => {
  const delivery = new EventDelivery(source(30), { send: () => false, timers: fakeTimers(), maxPending: 10, maxRetries: 0 });
  await delivery.flush();
  assert.equal(delivery.stats().dropped, 30, '20 over the bound, then the failing batch of 10');
});

test('page hide hands everything to sendBeacon', () => {
  const target = new EventTarget();
  const document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  const beacons = [];
  const navigator = { sendBeacon: (url, body) => beacons.push([url, JSON.parse(body).length]) > 0 };
  const delivery = new EventDelivery(source(150), {
    send: () => assert.fail('send is not used when the beacon takes the events'),
    timers: fakeTimers(),
    target,
    document: undefined,
    navigator,
    beaconUrl: '/events',
  }).start();
  target.dispatchEvent(new Event('pagehide'));
  assert.deepEqual(beacons, [['/events', 100], ['/events', 50]]);
  assert.equal(delivery.stats().delivered, 150);
  // visibilitychange counts only when the page is hidden.
  const visible = new EventDelivery(source(1), { send: () => true, timers: fakeTimers(), target, document, navigator, beaconUrl: '/e' });
  visible.start();
  document.dispatchEvent(new Event('visibilitychange'));
  assert.equal(beacons.length, 2);
  document.visibilityState = 'hidden';
  document.dispatchEvent(new Event('visibilitychange'));
  assert.equal(beacons.length, 3);
  delivery.stop();
  visible.stop();
});
