// The JS API over one wasm build (full or client): `init`, `Client`, `PolicyBundle` and the
// bucketing functions. `full.js` and `client.js` bind it to their build's glue.
import { ERROR_CODES, TYPE_CODES, errorCodeName, reasonName } from './codes.js';
import { InputBuffers, wholeContext } from './context.js';
import { rethrowing } from './errors.js';
import { Tables } from './tables.js';

// Outcome slots (sdk-wasm `outcome`).
const STRIDE = 10;
const FLAG = 0;
const VARIANT = 1;
const REASON = 2;
const ERROR = 3;
const EXPERIMENT = 4;
const HOLDOUT = 5;
const SKIPPED = 6;
const BITS = 7;
const EXPOSED = 1;
const DECISION = 2;
const MESSAGE = 4;
const TYPES = 6;

const ANY = 0;
const BOOLEAN = 1;
const STRING = 2;
const FLOAT = 4;
const OBJECT = 5;

/** The type code a default implies (`null`/`undefined`: any value). */
function typeOf(value) {
  switch (typeof value) {
    case 'boolean':
      return BOOLEAN;
    case 'string':
      return STRING;
    case 'number':
      return FLOAT;
    case 'object':
      return value === null || Array.isArray(value) ? ANY : OBJECT;
    default:
      return ANY;
  }
}

function typeCode(options, value) {
  const name = options?.type;
  if (name === undefined) return typeOf(value);
  const code = TYPE_CODES[name];
  if (code === undefined) throw new TypeError(`unknown type ${JSON.stringify(name)}`);
  return code;
}

function isNode() {
  return typeof process !== 'undefined' && !!process.versions?.node && typeof Deno === 'undefined';
}

/**
 * Builds the API of one wasm build. `glue` is the wasm-bindgen module (`--target web`),
 * `wasmUrl()` where its `.wasm` file lies next to the package.
 */
export function createApi(glue, wasmUrl) {
  let wasm = null;

  function started() {
    if (wasm === null) {
      throw new Error('Tandem: call `await init()` (or `initSync(module)`) before using the SDK');
    }
    return wasm;
  }

  let words = null;

  /** The wasm memory as 32-bit words (a new view once the memory grew and detached the old). */
  function memoryWords() {
    if (words === null || words.length === 0) words = new Int32Array(started().memory.buffer);
    return words;
  }

  /**
   * Instantiates the wasm synchronously from a `WebAssembly.Module` or its bytes (workerd
   * imports the module; a bundler may inline the bytes). Idempotent.
   */
  function initSync(module) {
    if (wasm === null) {
      const source = module?.module ?? module;
      wasm = glue.initSync({ module: source });
    }
    return wasm;
  }

  /**
   * Loads the wasm: from `input` (a `WebAssembly.Module`, bytes, a `Response` or a URL) when
   * given, else from the file next to the package (read from disk in Node, fetched elsewhere).
   */
  async function init(input) {
    if (wasm !== null) return wasm;
    let source = input?.module ?? input;
    if (source === undefined) source = wasmUrl();
    if (source instanceof URL || typeof source === 'string') {
      const url = new URL(source, wasmUrl());
      if (url.protocol === 'file:' && isNode()) {
        const { readFile } = await import('node:fs/promises');
        source = await readFile(url);
      } else {
        source = await fetch(url);
      }
    }
    if (typeof Response !== 'undefined' && source instanceof Response) {
      source = await source.arrayBuffer();
    }
    if (!(source instanceof WebAssembly.Module)) source = await WebAssembly.compile(source);
    return initSync(source);
  }

  /** A Tandem client (see the package README). */
  class Client {
    /**
     * An empty client (every flag `PROVIDER_NOT_READY` until loaded). Options: `now` (a fixed
     * clock, Unix ms), `eventCapacity`, `dedupCapacity`, `stickyCapacity`.
     */
    constructor(options = {}) {
      started();
      this._w = new glue.Client(
        options.now,
        options.eventCapacity,
        options.dedupCapacity,
        options.stickyCapacity,
      );
      this._outPtr = this._w.outPtr();
      this._out = null;
      this._input = new InputBuffers(this._w, () => started().memory);
      this._tables = null;
      this._static = null;
      this._refresh();
    }

    /** A client serving `config` (JSON text or object). Throws a typed error. */
    static fromConfig(config, options) {
      const client = new Client(options);
      client.update(config);
      return client;
    }

    /** A client serving a precomputed payload (bytes, JSON text or object). */
    static fromPrecomputed(payload, options) {
      const client = new Client(options);
      client.updatePrecomputed(payload);
      return client;
    }

    /** Frees the wasm memory now (the GC does it eventually otherwise). */
    free() {
      this._w.free();
    }

    _refresh() {
      this._tables = new Tables(this._w.tables());
    }

    /**
     * Loads a new config (JSON text or object) in the full build, a payload in the client
     * build (which serves payloads only). Throws a typed error and keeps serving the last
     * good one when it cannot be loaded.
     */
    update(config) {
      if (typeof this._w.update !== 'function') return this.updatePrecomputed(config);
      const text = typeof config === 'string' ? config : JSON.stringify(config);
      rethrowing(() => this._w.update(text));
      this._refresh();
      this._resetStatic();
    }

    /** Serves a precomputed payload (bytes, JSON text or object). Throws a typed error. */
    updatePrecomputed(payload) {
      const text =
        typeof payload === 'string'
          ? payload
          : payload instanceof Uint8Array || payload instanceof ArrayBuffer
            ? new TextDecoder().decode(payload)
            : JSON.stringify(payload);
      rethrowing(() => this._w.updatePrecomputed(text));
      this._refresh();
      this._resetStatic();
    }

    _resetStatic() {
      if (this._static !== null) this.setContext(this._static.ctx);
    }

    /** Fixes the clock (Unix ms), or returns it to `Date.now()` with `undefined`. */
    setNow(now) {
      this._w.setNow(now);
    }

    /** The config's (or payload's) revision. */
    get revision() {
      return this._tables.revision;
    }

    /** Whether a config or payload is loaded. */
    get ready() {
      return this._tables.ready;
    }

    /** The keys of every flag, in snapshot order. */
    flagKeys() {
      return this._tables.keys.slice();
    }

    _view() {
      let out = this._out;
      if (out === null || out.length === 0) {
        out = this._out = new Int32Array(started().memory.buffer, this._outPtr, STRIDE);
      }
      return out;
    }

    _details(t, key, fallback, o, message, decision) {
      const flag = o[FLAG];
      const variant = o[VARIANT];
      const bits = o[BITS];
      let value = fallback;
      let variantName;
      if (variant >= 0) {
        const v = t.variants[flag][variant];
        variantName = v[0];
        if (v.length > 1) value = v[1];
      }
      let chosen;
      if (decision !== undefined) {
        chosen = JSON.parse(decision);
        value = chosen.value;
      }
      const details = { key, value, reason: reasonName(o[REASON]) };
      if (variantName !== undefined) details.variant = variantName;
      if (o[ERROR] > 0) details.errorCode = ERROR_CODES[o[ERROR] - 1];
      if (message !== undefined) details.errorMessage = message;
      const metadata = t.ready ? (flag >= 0 ? t.flagMetadata[flag] : t.metadata) : undefined;
      if (metadata !== undefined) details.flagMetadata = metadata;
      if (o[EXPERIMENT] >= 0) {
        const [expKey, layer] = t.experiments[o[EXPERIMENT]];
        const experiment = { key: expKey };
        if (layer !== null) experiment.layer = layer;
        if (o[HOLDOUT] >= 0) experiment.holdout = t.holdouts[o[HOLDOUT]];
        if (o[SKIPPED] > 0) experiment.skipped = errorCodeName(o[SKIPPED]);
        details.experiment = experiment;
      }
      if (chosen !== undefined) details.decision = chosen;
      return details;
    }

    /** The details of the outcome in the one-outcome buffer. */
    _lastDetails(t, key, fallback) {
      const o = this._view();
      const message = o[BITS] & MESSAGE ? this._w.takeMessage() : undefined;
      const decision = o[BITS] & DECISION ? this._w.takeDecision() : undefined;
      return this._details(t, key, fallback, o, message, decision);
    }

    // ---- dynamic context ---------------------------------------------------------------

    /**
     * Evaluates one flag for `ctx` (edge workers, servers) and logs its exposure and decision.
     * The requested type follows `defaultValue` (boolean, string, number, object; `null`:
     * any), or `options.type` (`"integer"`, ...). `options.decisionKey` and
     * `options.eligible` reach policies. Never throws for the flag or the context: failures
     * are the default with a reason and an error code.
     */
    evaluate(flagKey, ctx, defaultValue, options) {
      const t = this._tables;
      const type = typeCode(options, defaultValue);
      const flag = t.index.get(flagKey);
      if (
        flag !== undefined &&
        !t.readsWholeContext &&
        options?.decisionKey === undefined &&
        options?.eligible === undefined
      ) {
        const bytes = t.encoder.encode(ctx, this._input);
        this._w.evaluateInput(flag, type, t.attributes.length * 2, bytes);
      } else {
        this._evaluateWith(t, String(flagKey), type, ctx, options);
      }
      return this._lastDetails(t, flagKey, defaultValue);
    }

    /**
     * Writes `ctx` for the tables `t` and returns the arguments that start every export taking
     * a context: the count of input numbers, the input text's byte length, and the whole
     * context as JSON text for snapshots that read all of it (then the input is not read).
     */
    _context(t, ctx) {
      if (t.readsWholeContext) return [0, 0, wholeContext(ctx)];
      return [t.attributes.length * 2, t.encoder.encode(ctx, this._input), undefined];
    }

    _evaluateWith(t, key, type, ctx, options) {
      const [numbers, bytes, json] = this._context(t, ctx);
      this._w.evaluateWith(key, type, numbers, bytes, json, options?.decisionKey, options?.eligible);
    }

    /** One user's precomputed payload as UTF-8 JSON bytes (a `Response` body as it is). */
    precompute(ctx, options) {
      const t = this._tables;
      const [numbers, bytes, json] = this._context(t, ctx);
      return rethrowing(() =>
        this._w.precompute(numbers, bytes, json, options?.decisionKey, options?.eligible),
      );
    }

    // ---- static context ----------------------------------------------------------------

    /**
     * Evaluates every flag for `ctx` in one call; the getters then serve from the results.
     * Throws a typed error for a context that cannot be used (the previous one stays set).
     */
    setContext(ctx = {}) {
      const t = this._tables;
      const [numbers, bytes, json] = this._context(t, ctx);
      const n = rethrowing(() => this._w.setContext(numbers, bytes, json));
      // The outcomes and the read cache keep their storage from one context to the next
      // (copying into a new typed array costs V8 about ten times a `set`); a new stamp empties
      // the cache.
      const previous = this._static;
      const length = n * STRIDE;
      let outcomes = previous?.outcomes;
      let reads = previous?.reads;
      if (outcomes === undefined || outcomes.length !== length) {
        outcomes = new Int32Array(length);
        reads = new Array(n * TYPES);
      }
      const start = this._w.staticPtr() >>> 2;
      outcomes.set(memoryWords().subarray(start, start + length));
      this._static = { t, ctx, outcomes, reads, stamp: (previous?.stamp ?? 0) + 1 };
    }

    /** The context last set. */
    get context() {
      return this._static?.ctx;
    }

    /**
     * A read cache entry: `{d}` serve the default, else `{v}`, with the details fields; valid
     * while its `stamp` is the static context's.
     */
    _read(flagKey, type) {
      let s = this._static;
      if (s === null) {
        this.setContext({});
        s = this._static;
      }
      const flag = s.t.index.get(flagKey);
      if (flag === undefined) return undefined;
      const slot = flag * TYPES + type;
      const read = s.reads[slot];
      if (read !== undefined && read.stamp === s.stamp) return read;
      return (s.reads[slot] = this._firstRead(s, flag, type));
    }

    _firstRead(s, flag, type) {
      const t = s.t;
      let o = s.outcomes.subarray(flag * STRIDE, flag * STRIDE + STRIDE);
      let check = (o[BITS] & (EXPOSED | DECISION)) !== 0;
      if (!check && type !== ANY && o[VARIANT] >= 0) {
        const v = t.variants[flag][o[VARIANT]];
        check = v.length > 1 && (v[2] & (1 << (type - 1))) === 0;
      }
      let message;
      let decision;
      if (check) {
        this._w.recordRead(flag, type);
        o = this._view().slice();
        if (o[BITS] & MESSAGE) message = this._w.takeMessage();
        if (o[BITS] & DECISION) decision = this._w.takeDecision();
      } else if (o[BITS] & MESSAGE) {
        message = this._w.staticMessage(flag);
      }
      const NONE = {};
      const details = this._details(t, t.keys[flag], NONE, o, message, decision);
      const useDefault = details.value === NONE;
      return { stamp: s.stamp, d: useDefault, v: useDefault ? undefined : details.value, details };
    }

    _get(flagKey, type, defaultValue) {
      const r = this._read(flagKey, type);
      if (r === undefined) return this._unknown(flagKey, type, defaultValue).value;
      return r.d ? defaultValue : r.v;
    }

    _getDetails(flagKey, type, defaultValue) {
      const r = this._read(flagKey, type);
      if (r === undefined) return this._unknown(flagKey, type, defaultValue);
      return r.d ? { ...r.details, value: defaultValue } : r.details;
    }

    _unknown(flagKey, type, defaultValue) {
      this._w.readStaticKey(String(flagKey), type);
      return this._lastDetails(this._static.t, flagKey, defaultValue);
    }

    /** A boolean flag for the context set (never throws). */
    getBooleanValue(flagKey, defaultValue) {
      return this._get(flagKey, BOOLEAN, defaultValue);
    }

    /** A string flag for the context set (never throws). */
    getStringValue(flagKey, defaultValue) {
      return this._get(flagKey, STRING, defaultValue);
    }

    /** A number flag for the context set (never throws). */
    getNumberValue(flagKey, defaultValue) {
      return this._get(flagKey, FLOAT, defaultValue);
    }

    /** An object flag for the context set (never throws); the object is frozen and shared. */
    getObjectValue(flagKey, defaultValue) {
      return this._get(flagKey, OBJECT, defaultValue);
    }

    /** Evaluation details of a boolean flag for the context set. */
    getBooleanDetails(flagKey, defaultValue) {
      return this._getDetails(flagKey, BOOLEAN, defaultValue);
    }

    /** Evaluation details of a string flag for the context set. */
    getStringDetails(flagKey, defaultValue) {
      return this._getDetails(flagKey, STRING, defaultValue);
    }

    /** Evaluation details of a number flag for the context set. */
    getNumberDetails(flagKey, defaultValue) {
      return this._getDetails(flagKey, FLOAT, defaultValue);
    }

    /** Evaluation details of an object flag for the context set. */
    getObjectDetails(flagKey, defaultValue) {
      return this._getDetails(flagKey, OBJECT, defaultValue);
    }

    /** Details of any flag for the context set, typed by `options.type` (default: any). */
    getDetails(flagKey, defaultValue, options) {
      return this._getDetails(flagKey, typeCode(options ?? { type: 'any' }, defaultValue), defaultValue);
    }

    // ---- events and state --------------------------------------------------------------

    /**
     * Queues an outcome event. `unit` defaults to the context's `targetingKey`. Throws a
     * typed error (nothing queued) for an empty name or unit, or one over its limit.
     */
    track(name, unit, value, properties) {
      const u = unit ?? this._static?.ctx?.targetingKey;
      const props = properties === undefined ? undefined : JSON.stringify(properties);
      rethrowing(() => this._w.track(name, u ?? '', value ?? undefined, props));
    }

    /** Takes every queued event, oldest first. */
    drainEvents() {
      return JSON.parse(this._w.drainEvents());
    }

    /** Counters: `queued`, `dropped`, `deduplicated`, `decisions`, `stickyAssignments`. */
    stats() {
      return JSON.parse(this._w.stats());
    }

    /** The sticky assignments, as JSON text to persist. */
    exportSticky() {
      return this._w.exportSticky();
    }

    /** Restores sticky assignments; returns how many the client holds. Throws a typed error. */
    importSticky(snapshot) {
      return rethrowing(() => this._w.importSticky(snapshot));
    }
  }

  /** A verified policy bundle (DESIGN §5), for on-device decisions. */
  class PolicyBundle {
    constructor(json) {
      started();
      const text = typeof json === 'string' ? json : JSON.stringify(json);
      this._b = rethrowing(() => new glue.PolicyBundle(text));
    }

    get id() {
      return this._b.id;
    }

    get digest() {
      return this._b.digest;
    }

    /** The feature vector for `ctx` (NaN for a missing value). */
    features(ctx) {
      return Array.from(this._b.features(JSON.stringify(ctx)));
    }

    /** The raw scores (before the link). */
    rawScores(ctx) {
      return Array.from(rethrowing(() => this._b.rawScores(JSON.stringify(ctx))));
    }

    /**
     * Decides for `ctx`: `{policyId, version, digest, decisionKey, unit, draw, action,
     * actionIndex, value, propensity, probabilities, scores, optimalityGap}`. Throws an
     * InvalidContextError whose `errorCode` is the OpenFeature code when it cannot decide.
     */
    decide(ctx, options) {
      return JSON.parse(
        rethrowing(() =>
          this._b.decide(JSON.stringify(ctx), options?.decisionKey, options?.eligible),
        ),
      );
    }

    free() {
      this._b.free();
    }
  }

  const bucketing = {
    hash: (salt, unit) => (started(), glue.bucketHash(salt, unit)),
    bucket: (salt, unit) => (started(), glue.bucket(salt, unit)),
    allocate: (salt, unit, weights) => {
      started();
      const index = glue.allocate(salt, unit, Uint32Array.from(weights));
      return index < 0 ? null : index;
    },
    holdoutThreshold: (percent) => (started(), glue.holdoutThreshold(percent)),
    heldOut: (salt, unit, percent) => (started(), glue.heldOut(salt, unit, percent)),
    policyDraw: (salt, unit, decisionKey = '') => (started(), glue.policyDraw(salt, unit, decisionKey)),
    /** The unit a context value's JSON text normalises to; throws with `problem` otherwise. */
    normalizeUnit: (json) => (started(), rethrowing(() => glue.normalizeUnit(json))),
  };

  const buildKind = () => (started(), glue.buildKind());

  return { init, initSync, Client, PolicyBundle, bucketing, buildKind };
}
