// Sizes of the package's three builds: raw, gzip (level 9) and brotli (quality 11) bytes of the
// full and client `.wasm` and of the minified pure-JS reader, checked against the budgets of
// issue 9 (gzip: full ≤ 100 KB, client ≤ 60 KB, reader ≤ 5 KB). Exits non-zero over budget.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = process.argv[2] ?? new URL('../dist', import.meta.url).pathname;
const builds = [
  ['full .wasm', 'full/tandem_wasm_bg.wasm', 100_000],
  ['full glue .js', 'full/tandem_wasm.js', null],
  ['client .wasm', 'client/tandem_wasm_bg.wasm', 60_000],
  ['client glue .js', 'client/tandem_wasm.js', null],
  ['pure-JS reader (min)', 'reader.min.js', 5_000],
];
let over = 0;
console.log('build                 raw bytes   gzip   brotli   gzip budget');
for (const [name, file, budget] of builds) {
  const bytes = readFileSync(join(dist, file));
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
  }).length;
  const verdict = budget === null ? '' : gzip <= budget ? `<= ${budget} ok` : `> ${budget} OVER`;
  if (budget !== null && gzip > budget) over++;
  console.log(
    `${name.padEnd(20)} ${String(bytes.length).padStart(10)} ${String(gzip).padStart(7)} ${String(brotli).padStart(8)}   ${verdict}`,
  );
}
if (over > 0) {
  console.error(`sizes: ${over} build(s) over budget`);
  process.exit(1);
}
