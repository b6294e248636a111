// Event delivery (DESIGN §6): drains a Tandem client's queued events (wasm `Client` or
// `PrecomputedReader`) and hands them in batches to the host's `send(batch)` — on a timer, when
// enough are queued, and when the page is hidden (`visibilitychange` to hidden, `pagehide`,
// with `navigator.sendBeacon` when a `beaconUrl` is given). A failed batch is retried with
// exponential backoff up to `maxRetries` times, then dropped; everything held is bounded by
// `maxPending`, and every drop is counted in `stats().dropped` (with the client's own drops).

export class EventDelivery {
  /**
   * `source`: the client. Options: `send(batch)` (may return a promise; a rejection or `false`
   * is a failure), `flushIntervalMs` (10 s), `checkIntervalMs` (1 s: how often the queue size
   * is looked at), `batchSize` (100), `maxPending` (10,000 events held for delivery),
   * `maxRetries` (5), `backoffMs` (1 s, doubled per retry), `maxBackoffMs` (60 s),
   * `beaconUrl`, and the host objects `timers` ({setInterval, clearInterval, setTimeout,
   * clearTimeout}), `target` (where page events fire: `window`), `document`, `navigator`.
   */
  constructor(source, options = {}) {
    if (typeof options.send !== 'function') throw new TypeError('EventDelivery: `send` is required');
    this.source = source;
    this.o = {
      flushIntervalMs: 10_000,
      checkIntervalMs: 1_000,
      batchSize: 100,
      maxPending: 10_000,
      maxRetries: 5,
      backoffMs: 1_000,
      maxBackoffMs: 60_000,
      timers: globalThis,
      target: globalThis.window,
      document: globalThis.document,
      navigator: globalThis.navigator,
      ...options,
    };
    this.pending = [];
    this.attempts = 0;
    this.sending = false;
    this.retryTimer = null;
    this.ticker = null;
    this.lastFlush = 0;
    this.counts = { delivered: 0, dropped: 0, retries: 0, batches: 0 };
    this._onHide = () => {
      if (this.o.document?.visibilityState === undefined || this.o.document.visibilityState === 'hidden') this.flushOnHide();
    };
  }

  /** Starts the timer and the page-hide listeners. */
  start() {
    const { timers, target, document } = this.o;
    this.lastFlush = Date.now();
    this.ticker = timers.setInterval(() => this._tick(), this.o.checkIntervalMs);
    target?.addEventListener?.('pagehide', this._onHide);
    (document ?? target)?.addEventListener?.('visibilitychange', this._onHide);
    return this;
  }

  /** Stops the timers and listeners (queued events stay in the client). */
  stop() {
    const { timers, target, document } = this.o;
    if (this.ticker !== null) timers.clearInterval(this.ticker);
    if (this.retryTimer !== null) timers.clearTimeout(this.retryTimer);
    this.ticker = this.retryTimer = null;
    target?.removeEventListener?.('pagehide', this._onHide);
    (document ?? target)?.removeEventListener?.('visibilitychange', this._onHide);
  }

  _tick() {
    const due = Date.now() - this.lastFlush >= this.o.flushIntervalMs;
    const full = this.source.stats().queued + this.pending.length >= this.o.batchSize;
    if ((due || full) && this.retryTimer === null) this.flush();
  }

  /** Moves the client's queued events into the bounded pending list. */
  _collect() {
    const events = this.source.drainEvents();
    for (const event of events) this.pending.push(event);
    const over = this.pending.length - this.o.maxPending;
    if (over > 0) {
      this.pending.splice(0, over);
      this.counts.dropped += over;
    }
  }

  /** Sends everything queued, batch by batch; stops at the first failure (and retries later). */
  async flush() {
    this.lastFlush = Date.now();
    this._collect();
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.slice(0, this.o.batchSize);
        let ok;
        try {
          ok = (await this.o.send(batch)) !== false;
        } catch {
          ok = false;
        }
        if (ok) {
          this.pending.splice(0, batch.length);
          this.counts.delivered += batch.length;
          this.counts.batches++;
          this.attempts = 0;
          continue;
        }
        this.attempts++;
        if (this.attempts > this.o.maxRetries) {
          this.pending.splice(0, batch.length);
          this.counts.dropped += batch.length;
          this.attempts = 0;
          continue;
        }
        this.counts.retries++;
        const delay = Math.min(this.o.backoffMs * 2 ** (this.attempts - 1), this.o.maxBackoffMs);
        this.retryTimer = this.o.timers.setTimeout(() => {
          this.retryTimer = null;
          this.flush();
        }, delay);
        break;
      }
    } finally {
      this.sending = false;
    }
  }

  /**
   * The page is going away: hand everything over now, by `navigator.sendBeacon` when a
   * `beaconUrl` is set and the browser has it (it survives the page), else by `send`.
   */
  flushOnHide() {
    this._collect();
    const beacon = this.o.navigator?.sendBeacon;
    if (this.o.beaconUrl && typeof beacon === 'function') {
      while (this.pending.length > 0) {
        const batch = this.pending.slice(0, this.o.batchSize);
        if (!beacon.call(this.o.navigator, this.o.beaconUrl, JSON.stringify(batch))) break;
        this.pending.splice(0, batch.length);
        this.counts.delivered += batch.length;
        this.counts.batches++;
      }
    }
    if (this.pending.length > 0) this.flush();
  }

  /** `delivered`, `dropped` (here and in the client's queue), `pending`, `retries`, `batches`. */
  stats() {
    const source = this.source.stats();
    return {
      ...this.counts,
      dropped: this.counts.dropped + source.dropped,
      pending: this.pending.length + source.queued,
    };
  }
}
