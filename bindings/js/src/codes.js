// The core's stable numeric codes (docs/host-api.md, "Stable numeric codes"): index = code - 1.
// They are never reused, so a binding may hard-code them; test/codes.test.js checks them
// against the core's names as the wasm reports them.

/** `Reason` names by code. */
export const REASONS = ['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'ERROR'];
/** `ErrorCode` names by code. */
export const ERROR_CODES = [
  'PROVIDER_NOT_READY',
  'FLAG_NOT_FOUND',
  'PARSE_ERROR',
  'TYPE_MISMATCH',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
];
/** `ErrorKind` names by code. */
export const ERROR_KINDS = [
  'INVALID_JSON',
  'INVALID_CONFIG',
  'LIMIT_EXCEEDED',
  'INVALID_CONTEXT',
  'NOT_READY',
  'INVALID_ARGUMENT',
];

/** Requested types as the wasm takes them (0: any value, no check). */
export const TYPE_CODES = { any: 0, boolean: 1, string: 2, integer: 3, float: 4, number: 4, object: 5 };

export const reasonName = (code) => REASONS[code - 1];
export const errorCodeName = (code) => (code > 0 ? ERROR_CODES[code - 1] : undefined);
