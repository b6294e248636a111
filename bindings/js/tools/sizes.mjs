// Sizes of the package's three builds: raw, gzip (level 9) and brotli (quality 11) bytes of the
// full and client `.wasm` and of the minified pure-JS reader, against the budgets of issue 9
// (gzip: full ≤ 100 KB, client ≤ 60 KB, reader ≤ 5 KB). The reader's budget is enforced (exit
// 1 when over). The wasm budgets are printed but not enforced: both builds are over them, and
// what would bring them down is in the core (BENCHMARKS.md, "WebAssembly and JavaScript").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = process.argv[2] ?? new URL('../dist', import.meta.url).pathname;
const builds = [
  ['full .wasm', 'full/tandem_wasm_bg.wasm', 100_000, false],
  ['full glue .js', 'full/tandem_wasm.js', null, false],
  ['client .wasm', 'client/tandem_wasm_bg.wasm', 60_000, false],
  ['client glue .js', 'client/tandem_wasm.js', null, false],
  ['pure-JS reader (min)', 'reader.min.js', 5_000, true],
];
let over = 0;
console.log('build                 raw bytes   gzip   brotli   gzip budget');
for (const [name, file, budget, enforced] of builds) {
  const bytes = readFileSync(join(dist, file));
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
  }).length;
  const verdict = budget === null ? '' : gzip <= budget ? `<= ${budget} ok` : `> ${budget} OVER`;
  if (enforced && gzip > budget) over++;
  console.log(
    `${name.padEnd(20)} ${String(bytes.length).padStart(10)} ${String(gzip).padStart(7)} ${String(brotli).padStart(8)}   ${verdict}`,
  );
}
if (over > 0) {
  console.error(`sizes: ${over} enforced budget(s) exceeded`);
  process.exit(1);
}
