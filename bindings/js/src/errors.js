// Typed error classes, one per core `ErrorKind` with its stable numeric code (STYLE.md 7):
// callers branch on `instanceof` or on `code`, never on message text.
import { ERROR_KINDS } from './codes.js';

/** Base class of every error Tandem throws. `kind` is the core's name, `code` its number. */
export class TandemError extends Error {
  constructor(message, kind, code) {
    super(message);
    this.name = 'TandemError';
    this.kind = kind;
    this.code = code;
  }
}

function kindClass(name, kind) {
  const code = ERROR_KINDS.indexOf(kind) + 1;
  const cls = class extends TandemError {
    constructor(message) {
      super(message, kind, code);
      this.name = name;
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  cls.code = code;
  cls.kind = kind;
  return cls;
}

/** The text is not JSON (code 1). */
export const InvalidJsonError = kindClass('InvalidJsonError', 'INVALID_JSON');
/** The config or payload does not hold together; the message names the JSON path (code 2). */
export const InvalidConfigError = kindClass('InvalidConfigError', 'INVALID_CONFIG');
/** A size or count limit was exceeded; the message names the limit (code 3). */
export const LimitExceededError = kindClass('LimitExceededError', 'LIMIT_EXCEEDED');
/** A context is not an object, or does not hold together (code 4). */
export const InvalidContextError = kindClass('InvalidContextError', 'INVALID_CONTEXT');
/** Nothing is loaded yet (code 5). */
export const NotReadyError = kindClass('NotReadyError', 'NOT_READY');
/** An argument is out of range or empty (code 6). */
export const InvalidArgumentError = kindClass('InvalidArgumentError', 'INVALID_ARGUMENT');

const CLASSES = [
  InvalidJsonError,
  InvalidConfigError,
  LimitExceededError,
  InvalidContextError,
  NotReadyError,
  InvalidArgumentError,
];

/** The typed error for an error the wasm threw (`name` TandemError, numeric `code`). */
export function typedError(error) {
  if (error instanceof TandemError) return error;
  if (error && error.name === 'TandemError' && typeof error.code === 'number') {
    const cls = CLASSES[error.code - 1];
    if (cls) {
      const typed = new cls(error.message);
      for (const extra of ['problem', 'errorCode']) {
        if (error[extra] !== undefined) typed[extra] = error[extra];
      }
      return typed;
    }
  }
  return error;
}

/** Runs `f`, rethrowing the wasm's errors as typed errors. */
export function rethrowing(f) {
  try {
    return f();
  } catch (error) {
    throw typedError(error);
  }
}
