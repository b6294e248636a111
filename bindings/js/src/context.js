// Writes a JS context object as the typed attributes of a snapshot (sdk-wasm `context`): one
// `(tag, number)` pair per attribute path in a reused Float64Array, every string value
// concatenated into one string. No JSON text unless an attribute's value is an object or array.
// Paths follow JSON Logic `var` (the core's one resolver): own properties of objects, and
// canonical decimal indexes of arrays.

const TAG_ABSENT = 0;
const TAG_NULL = 1;
const TAG_FALSE = 2;
const TAG_TRUE = 3;
const TAG_INT = 4;
const TAG_NUMBER = 5;
const TAG_STRING = 6;
const TAG_JSON = 7;

const hasOwn = Object.prototype.hasOwnProperty;
const INDEX = /^(?:0|[1-9][0-9]*)$/;

/** The value at `path` in `ctx`, `undefined` when absent. */
function at(ctx, path) {
  let value = ctx;
  for (let i = 0; i < path.length; i++) {
    if (value === null || typeof value !== 'object') return undefined;
    const segment = path[i];
    if (Array.isArray(value)) {
      if (!INDEX.test(segment)) return undefined;
      value = value[+segment];
    } else {
      if (!hasOwn.call(value, segment)) return undefined;
      value = value[segment];
    }
  }
  return value;
}

/** A JSON text for an object value, bigints as exact integers; `undefined` when it has none. */
function jsonText(value) {
  try {
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? JSON.rawJSON?.(v.toString()) ?? Number(v) : v));
  } catch {
    return undefined;
  }
}

/**
 * An encoder for one attribute table. `encode(ctx)` fills `numbers` and returns the strings;
 * the Float64Array is reused across calls (the wasm copies it during the call).
 */
export class ContextEncoder {
  constructor(attributes) {
    this.paths = attributes;
    this.single = attributes.map((p) => (p.length === 1 ? p[0] : null));
    this.numbers = new Float64Array(attributes.length * 2);
  }

  encode(ctx) {
    const { paths, single, numbers } = this;
    let strings = '';
    const object = ctx !== null && typeof ctx === 'object';
    for (let i = 0, j = 0; i < paths.length; i++, j += 2) {
      const name = single[i];
      let value;
      if (!object) value = undefined;
      else if (name !== null) value = hasOwn.call(ctx, name) ? ctx[name] : undefined;
      else value = at(ctx, paths[i]);
      switch (typeof value) {
        case 'string':
          numbers[j] = TAG_STRING;
          numbers[j + 1] = value.length;
          strings += value;
          break;
        case 'number':
          if (Number.isSafeInteger(value)) {
            numbers[j] = TAG_INT;
            numbers[j + 1] = value === 0 ? 0 : value;
          } else {
            numbers[j] = TAG_NUMBER;
            numbers[j + 1] = value;
          }
          break;
        case 'boolean':
          numbers[j] = value ? TAG_TRUE : TAG_FALSE;
          numbers[j + 1] = 0;
          break;
        case 'bigint': {
          const text = value.toString();
          numbers[j] = TAG_JSON;
          numbers[j + 1] = text.length;
          strings += text;
          break;
        }
        case 'object': {
          if (value === null) {
            numbers[j] = TAG_NULL;
            numbers[j + 1] = 0;
            break;
          }
          const text = value instanceof Date ? JSON.stringify(value.toISOString()) : jsonText(value);
          if (text === undefined) {
            numbers[j] = TAG_ABSENT;
          } else {
            numbers[j] = TAG_JSON;
            numbers[j + 1] = text.length;
            strings += text;
          }
          break;
        }
        default:
          numbers[j] = TAG_ABSENT;
          numbers[j + 1] = 0;
      }
    }
    return strings;
  }
}

/** The whole context as JSON text (for snapshots whose rules read the whole context). */
export function wholeContext(ctx) {
  return jsonText(ctx ?? {}) ?? '{}';
}
