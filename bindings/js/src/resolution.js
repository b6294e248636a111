// Tandem details → OpenFeature resolution details. Reasons and error codes map one to one: the
// core's names are OpenFeature's (docs/host-api.md, "Stable numeric codes").

/** OpenFeature flag metadata holds strings, numbers and booleans only. */
function flat(metadata) {
  const out = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

/** The OpenFeature `ResolutionDetails` of Tandem evaluation details. */
export function resolution(details) {
  const r = { value: details.value, reason: details.reason };
  if (details.variant !== undefined) r.variant = details.variant;
  if (details.errorCode !== undefined) r.errorCode = details.errorCode;
  if (details.errorMessage !== undefined) r.errorMessage = details.errorMessage;
  if (details.flagMetadata !== undefined) r.flagMetadata = flat(details.flagMetadata);
  return r;
}

/** Splits OpenFeature tracking details into Tandem's value and properties. */
export function trackArgs(details) {
  if (details === undefined || details === null) return [undefined, undefined];
  const { value, ...properties } = details;
  return [typeof value === 'number' ? value : undefined, properties];
}
