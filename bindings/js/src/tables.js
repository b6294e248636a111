// A snapshot's tables (sdk-wasm `snapshot`), parsed once per generation: every string and
// value a read needs, so that reads cross into wasm only for what they must (logging, the
// core's type check of a mismatching value, error messages).
import { ContextEncoder } from './context.js';

function deepFreeze(value) {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze(value[key]);
  }
  return value;
}

/** One snapshot's tables. Values are frozen: every read of an object flag shares one object. */
export class Tables {
  constructor(json) {
    const t = JSON.parse(json);
    this.generation = t.generation;
    this.ready = t.ready;
    this.revision = t.revision ?? undefined;
    this.metadata = t.metadata ?? undefined;
    this.readsWholeContext = t.readsWholeContext;
    this.attributes = t.attributes;
    this.keys = new Array(t.flags.length);
    this.flagMetadata = new Array(t.flags.length);
    /** Per flag: its variants as `[name]` or `[name, value, typeMask]`. */
    this.variants = new Array(t.flags.length);
    this.index = new Map();
    for (let i = 0; i < t.flags.length; i++) {
      const [key, metadata, variants] = t.flags[i];
      this.keys[i] = key;
      this.index.set(key, i);
      this.flagMetadata[i] = metadata ?? undefined;
      for (const variant of variants) if (variant.length > 1) deepFreeze(variant[1]);
      this.variants[i] = variants;
    }
    this.experiments = t.experiments;
    this.holdouts = t.holdouts;
    /** Per policy: `[id, version, digest]`. */
    this.policies = t.policies;
    deepFreeze(this.metadata);
    for (const m of this.flagMetadata) deepFreeze(m);
    this.encoder = new ContextEncoder(t.attributes);
  }
}
