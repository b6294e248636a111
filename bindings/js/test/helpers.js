// Shared by the Node tests: the repository's paths, the shared vectors, the suites.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../', import.meta.url));
export const testdata = (name) => JSON.parse(readFileSync(`${root}testdata/${name}`, 'utf8'));
export const testdataText = (name) => readFileSync(`${root}testdata/${name}`, 'utf8');
/** `../shared/<sub>` beside the repository (as CI lays it out), or null when absent. */
export function shared(sub) {
  const path = `${root}../shared/${sub}`;
  return existsSync(path) ? path : null;
}

/** The Unix milliseconds of an RFC 3339 time. */
export const millis = (rfc3339) => Date.parse(rfc3339);

/** A copy of `value` with every `undefined` property removed (details compare as JSON). */
export const asJson = (value) => JSON.parse(JSON.stringify(value));

/**
 * The raw JSON text of every value of `field` in `text`, in document order: a config must
 * reach the core exactly as written (`JSON.stringify` would turn `2.0` into `2`, which changes
 * a policy bundle's canonical digest).
 */
export function rawValues(text, field) {
  const values = [];
  const marker = `"${field}": `;
  for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
    let i = at + marker.length;
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) break;
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (depth === 0 && (c === ',' || c === '\n')) break;
    }
    values.push(text.slice(start, i));
  }
  return values;
}
