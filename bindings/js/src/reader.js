// The pure-JS precomputed reader: no WebAssembly. Reads one user's payload (made by an edge
// worker with `Client.precompute`, format in docs/host-api.md "Precomputed payloads"), serves
// typed getters, logs each exposure (deduplicated) and decision on a flag's first read, and
// queues events for the host to drain — the same results and events as the wasm client serving
// the same payload (test/reader.test.js replays testdata/evaluation.json through both).
// Kept small (≤ 5 KB gzipped minified): it checks what the core's payload reader checks that
// matters to a reader, with the same JSON paths in its messages.
import { InvalidArgumentError, InvalidConfigError, InvalidJsonError, LimitExceededError } from './errors.js';
import { ERROR_CODES, REASONS } from './codes.js';

const MAX_UNIT = 1024;
const MAX_FLAGS = 20000;
const MAX_PAYLOAD = 8 << 20;
const bytes = (s) => new TextEncoder().encode(s).length;
const str = (v) => typeof v === 'string';
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const typeName = (v) =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v === 'boolean' ? 'a boolean' : typeof v === 'number' ? 'a number' : 'a string';
// Requested types: name in messages and the core's check (`FlagType::matches`).
const TYPES = {
  boolean: (v) => typeof v === 'boolean',
  string: str,
  integer: (v) => Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63,
  number: (v) => typeof v === 'number',
  object: isObject,
};
TYPES.float = TYPES.number;

function check(entry, at, maxUnit) {
  const bad = (m) => {
    throw new InvalidConfigError(at + m);
  };
  if (!isObject(entry)) bad(': must be an object');
  const { key, reason, errorCode, value, variant, unit, experiment, decision } = entry;
  if (!str(key)) bad('.key: missing');
  if (!REASONS.includes(reason)) bad('.reason: must be an OpenFeature reason');
  if (errorCode != null && !ERROR_CODES.includes(errorCode)) bad('.errorCode: unknown error code');
  if (value != null && !str(variant)) bad('.variant: missing (a served value names its variant)');
  if (unit != null && (!str(unit) || !unit || bytes(unit) > maxUnit)) bad(`.unit: must be a non-empty string of at most ${maxUnit} bytes`);
  if (experiment != null && (!isObject(experiment) || !str(experiment.key))) bad('.experiment.key: missing');
  if (unit != null && experiment == null) bad('.unit: an exposure needs an experiment');
  if (decision != null) {
    if (value == null) bad('.decision: a decision needs the value it chose');
    const p = decision.probabilities;
    if (!Array.isArray(p) || !p.length || p.some((x) => !(x >= 0 && x <= 1))) bad('.decision.probabilities: must be in [0, 1]');
    if (Math.abs(p.reduce((a, b) => a + b, 0) - 1) > 1e-9) bad('.decision.probabilities: must sum to 1');
    if (!(p[decision.actionIndex] > 0)) bad('.decision.actionIndex: must be an index into the probabilities');
    if (decision.propensity !== p[decision.actionIndex]) bad(".decision.propensity: must equal the chosen action's probability");
    for (const f of ['policyId', 'version', 'digest', 'action', 'unit', 'decisionKey']) if (!str(decision[f])) bad(`.decision.${f}: must be a string`);
  }
}

/** Serves one user's precomputed payload without WebAssembly. */
export class PrecomputedReader {
  /** Options: `now` (a fixed clock, Unix ms), `eventCapacity`, `dedupCapacity`. */
  constructor(payload, options = {}) {
    this.o = { eventCapacity: 1000, dedupCapacity: 10000, ...options };
    this.q = [];
    this.seen = new Map();
    this.n = { dropped: 0, deduplicated: 0, decisions: 0 };
    this.flags = new Map();
    if (payload !== undefined) this.update(payload);
  }

  /** Serves a new payload (bytes, JSON text or object). Throws a typed error. */
  update(payload) {
    let p = payload;
    if (p instanceof Uint8Array || p instanceof ArrayBuffer) p = new TextDecoder().decode(p);
    if (str(p)) {
      if (p.length > MAX_PAYLOAD) throw new LimitExceededError('$: the payload is over the limit of max_payload_bytes');
      try {
        p = JSON.parse(p);
      } catch {
        throw new InvalidJsonError('$: not JSON');
      }
    }
    if (!isObject(p) || p.v !== 1) throw new InvalidConfigError('v: must be 1');
    if (p.revision != null && !str(p.revision)) throw new InvalidConfigError('revision: must be a string');
    if (!Array.isArray(p.flags)) throw new InvalidConfigError('flags: must be an array of evaluation details');
    if (p.flags.length > MAX_FLAGS) throw new LimitExceededError('flags: more entries than the limit of max_flags');
    const flags = new Map();
    p.flags.forEach((e, i) => {
      check(e, `flags[${i}]`, MAX_UNIT);
      if (flags.has(e.key)) throw new InvalidConfigError(`flags[${i}].key: duplicate flag key`);
      flags.set(e.key, { e, reads: {} });
    });
    this.flags = flags;
    this.revision = p.revision ?? undefined;
    this.metadata = p.metadata ?? undefined;
  }

  _now() {
    return this.o.now ?? Date.now();
  }

  _push(event) {
    if (this.q.length >= this.o.eventCapacity) {
      this.q.shift();
      this.n.dropped++;
    }
    this.q.push(event);
  }

  /** Logs what the first read of an entry means: its exposure and its decision (DESIGN §6). */
  _log(e, errorCode, served) {
    const x = e.experiment;
    const base = { flag: e.key };
    const revision = this.revision;
    if (e.unit != null) {
      const arm = x.variant ?? undefined;
      const id = [e.unit, e.key, x.key, arm ?? ''].join('\0');
      if (this.seen.has(id)) {
        this.seen.delete(id);
        this.n.deduplicated++;
      } else {
        this._push(clean({ type: 'exposure', ...base, variant: arm, experiment: x.key, layer: x.layer, holdout: x.holdout, unit: e.unit, reason: errorCode ? 'ERROR' : e.reason, errorCode, revision, timestamp: this._now() }));
        if (this.seen.size >= this.o.dedupCapacity) this.seen.delete(this.seen.keys().next().value);
      }
      this.seen.set(id, 1);
    }
    const d = e.decision;
    if (d != null && served) {
      const exposed = e.unit != null;
      this.n.decisions++;
      this._push(clean({
        type: 'decision', ...base, variant: e.variant, experiment: exposed ? x.key : undefined, layer: exposed ? x.layer : undefined,
        holdout: x?.holdout, unit: exposed ? e.unit : d.unit, policyUnit: exposed && e.unit !== d.unit ? d.unit : undefined,
        reason: e.reason, revision, policy: `${d.policyId}@${d.version}`, digest: d.digest, action: d.action,
        propensity: d.propensity, probabilities: d.probabilities, optimalityGap: d.optimalityGap, decisionKey: d.decisionKey,
        context: d.context ?? undefined, contextOmitted: d.contextOmitted || undefined, timestamp: this._now(),
      }));
    }
  }

  /** Details of `flagKey` read as `type` (`boolean`, `string`, `integer`, `number`, `object`, `any`). */
  getDetails(flagKey, defaultValue, { type = 'any' } = {}) {
    const f = this.flags.get(flagKey);
    if (f === undefined) {
      return clean({ key: flagKey, value: defaultValue, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND', errorMessage: 'flag not found', flagMetadata: this.metadata });
    }
    let r = f.reads[type];
    if (r === undefined) {
      const e = f.e;
      const x = e.experiment;
      const has = e.value != null;
      const t = TYPES[type];
      const ok = !has || !t || t(e.value);
      let { errorCode, errorMessage, variant } = e;
      if (!ok) {
        variant = undefined;
        if (!errorCode) {
          errorCode = 'TYPE_MISMATCH';
          errorMessage = `the flag's value is ${typeName(e.value)}, not the requested ${type}`;
        }
      }
      this._log(e, ok ? undefined : errorCode, ok);
      r = f.reads[type] = clean({
        key: e.key, value: ok && has ? e.value : undefined, variant, reason: ok ? e.reason : 'ERROR', errorCode, errorMessage, flagMetadata: e.flagMetadata ?? undefined,
        experiment: x == null ? undefined : clean({ key: x.key, layer: x.layer, holdout: x.holdout, skipped: x.skipped }),
        decision: ok && e.decision ? (({ context, contextOmitted, ...d }) => ({ ...d, value: e.value }))(e.decision) : undefined,
      });
    }
    return r.value === undefined ? { ...r, value: defaultValue } : r;
  }

  getBooleanDetails(k, d) { return this.getDetails(k, d, { type: 'boolean' }); }
  getStringDetails(k, d) { return this.getDetails(k, d, { type: 'string' }); }
  getNumberDetails(k, d) { return this.getDetails(k, d, { type: 'number' }); }
  getObjectDetails(k, d) { return this.getDetails(k, d, { type: 'object' }); }
  getBooleanValue(k, d) { return this.getBooleanDetails(k, d).value; }
  getStringValue(k, d) { return this.getStringDetails(k, d).value; }
  getNumberValue(k, d) { return this.getNumberDetails(k, d).value; }
  getObjectValue(k, d) { return this.getObjectDetails(k, d).value; }

  /** Queues an outcome event. Throws a typed error (nothing queued) for a bad name or unit. */
  track(name, unit, value, properties) {
    if (!name || !unit) throw new InvalidArgumentError('track: the event name and the unit must not be empty');
    if (bytes(name) > 256 || bytes(unit) > MAX_UNIT) throw new LimitExceededError('track: the name or unit is over its limit');
    const props = properties ?? {};
    if (bytes(JSON.stringify(props)) > 16384) throw new LimitExceededError("track: the properties' JSON is over the limit");
    this._push(clean({ type: 'track', name, unit, value: Number.isFinite(value) ? value : undefined, properties: Object.keys(props).length ? props : undefined, timestamp: this._now() }));
  }

  /** Takes every queued event, oldest first. */
  drainEvents() {
    return this.q.splice(0);
  }

  /** Counters: `queued`, `dropped`, `deduplicated`, `decisions`, `stickyAssignments` (0). */
  stats() {
    return { queued: this.q.length, ...this.n, stickyAssignments: 0 };
  }
}

/** `object` without its undefined fields (events and details omit absent fields). */
function clean(object) {
  for (const k in object) if (object[k] === undefined) delete object[k];
  return object;
}
