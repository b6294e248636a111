// Writes a JS context object as the typed attributes of a snapshot (sdk-wasm `context`) straight
// into a client's input buffers in wasm memory: one `(tag, number)` pair per attribute path, and
// every string value after the previous one as UTF-8. No JSON text unless an attribute's value is
// an object or array, and nothing copied through wasm-bindgen's argument conversions (each an
// allocation, a copy and a free per call).
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
const utf8 = new TextEncoder();
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
 * A client's input buffers in wasm memory (sdk-wasm `reserveInput`, `inputNumbersPtr`,
 * `inputTextPtr`), with views that are taken again when the buffers move or the memory grows.
 */
export class InputBuffers {
  constructor(client, memory) {
    this.client = client;
    this.memory = memory;
    this.numberCapacity = 0;
    this.textCapacity = 0;
    this.numbers = null;
    this.text = null;
  }

  /** Makes room for `numbers` numbers and `textBytes` bytes (written content is kept). */
  reserve(numbers, textBytes) {
    if (numbers > this.numberCapacity || textBytes > this.textCapacity) {
      this.numberCapacity = Math.max(numbers, this.numberCapacity);
      this.textCapacity = Math.max(textBytes, 2 * this.textCapacity, 256);
      this.client.reserveInput(this.numberCapacity, this.textCapacity);
      this.text = null;
    }
    // A view of a grown memory is detached (length 0).
    if (this.text === null || this.text.length === 0) {
      const buffer = this.memory().buffer;
      this.numbers = new Float64Array(buffer, this.client.inputNumbersPtr(), this.numberCapacity);
      this.text = new Uint8Array(buffer, this.client.inputTextPtr(), this.textCapacity);
    }
  }

  /** Writes `value` as UTF-8 at byte `at`; returns the end. */
  writeText(value, at) {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const end = at + value.length * 3;
    if (end > this.textCapacity) this.reserve(0, end);
    const text = this.text;
    let n = 0;
    for (; n < value.length; n++) {
      const unit = value.charCodeAt(n);
      if (unit > 0x7f) break;
      text[at + n] = unit;
    }
    if (n === value.length) return at + n;
    return at + n + utf8.encodeInto(value.slice(n), text.subarray(at + n)).written;
  }
}

/** An encoder for one attribute table. */
export class ContextEncoder {
  constructor(attributes) {
    this.paths = attributes;
    this.single = attributes.map((p) => (p.length === 1 ? p[0] : null));
  }

  /**
   * Writes `ctx` into `input` (an {@link InputBuffers}); returns the text's byte length. The
   * numbers are the first `2 × paths.length` of the input's.
   */
  encode(ctx, input) {
    const { paths, single } = this;
    input.reserve(paths.length * 2, 0);
    let offset = 0;
    const object = ctx !== null && typeof ctx === 'object';
    for (let i = 0, j = 0; i < paths.length; i++, j += 2) {
      const name = single[i];
      let value;
      if (!object) value = undefined;
      else if (name !== null) value = hasOwn.call(ctx, name) ? ctx[name] : undefined;
      else value = at(ctx, paths[i]);
      let tag = TAG_ABSENT;
      let number = 0;
      let text;
      switch (typeof value) {
        case 'string':
          tag = TAG_STRING;
          text = value;
          break;
        case 'number':
          if (Number.isSafeInteger(value)) {
            tag = TAG_INT;
            number = value === 0 ? 0 : value;
          } else {
            tag = TAG_NUMBER;
            number = value;
          }
          break;
        case 'boolean':
          tag = value ? TAG_TRUE : TAG_FALSE;
          break;
        case 'bigint':
          tag = TAG_JSON;
          text = value.toString();
          break;
        case 'object':
          if (value === null) {
            tag = TAG_NULL;
          } else {
            text = value instanceof Date ? JSON.stringify(value.toISOString()) : jsonText(value);
            if (text !== undefined) tag = TAG_JSON;
          }
          break;
        default:
      }
      if (text !== undefined) {
        // The length in UTF-16 code units, as the decoder measures it.
        number = text.length;
        offset = input.writeText(text, offset);
      }
      // `input.numbers` read after the text: writing it may have moved the buffers.
      input.numbers[j] = tag;
      input.numbers[j + 1] = number;
    }
    return offset;
  }
}

/** The whole context as JSON text (for snapshots whose rules read the whole context). */
export function wholeContext(ctx) {
  return jsonText(ctx ?? {}) ?? '{}';
}
