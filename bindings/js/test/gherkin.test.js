// The OpenFeature spec's gherkin features (../shared/suites/openfeature-spec-gherkin) through
// @openfeature/server-sdk and Tandem's server provider: evaluation.feature,
// evaluation_v2.feature, metadata.feature and contextMerging.feature. Prints the counts per
// feature ("gherkin <file>: N passed, M failed, K skipped"); a scenario with a step this suite
// does not define is skipped, and one whose steps fail fails the test. Skips when the suites
// are absent.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { Client, init } from '../src/full.js';
import { tandemConfig } from './gherkin/adapter.js';
import { parseFeature } from './gherkin/parse.js';
import { Skip, steps } from './gherkin/steps.js';
import { shared } from './helpers.js';

const suite = shared('suites/openfeature-spec-gherkin');
const FEATURES = ['evaluation.feature', 'evaluation_v2.feature', 'metadata.feature', 'contextMerging.feature'];

async function run(file, config) {
  const feature = parseFeature(readFileSync(`${suite}/${file}`, 'utf8'));
  const defs = steps(Client, config);
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const failures = [];
  const skippedSteps = new Set();
  // Undefined steps are listed as `step text`; a scenario that skipped itself says why.
  for (const scenario of feature.scenarios) {
    const all = [...feature.background, ...scenario.steps];
    const bound = all.map((s) => {
      for (const [re, f] of defs) {
        const m = re.exec(s.text);
        if (m) return () => f(world, ...m.slice(1), s.table);
      }
      return null;
    });
    const world = {};
    if (bound.includes(null)) {
      counts.skipped++;
      all.filter((_, i) => bound[i] === null).forEach((s) => skippedSteps.add(`undefined step: ${s.text}`));
      continue;
    }
    try {
      for (const step of bound) await step();
      counts.passed++;
    } catch (error) {
      if (error instanceof Skip) {
        counts.skipped++;
        skippedSteps.add(`${scenario.name}: ${error.message}`);
        continue;
      }
      counts.failed++;
      failures.push(`${scenario.name}: ${error.message}`);
    }
  }
  return { counts, failures, skippedSteps: [...skippedSteps] };
}

for (const file of FEATURES) {
  test(`gherkin ${file}`, { skip: suite === null ? 'no ../shared/suites/openfeature-spec-gherkin' : false }, async () => {
    await init();
    const config = tandemConfig(JSON.parse(readFileSync(`${suite}/test-flags.json`, 'utf8')));
    const { counts, failures, skippedSteps } = await run(file, config);
    console.log(`gherkin ${file}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
    for (const s of skippedSteps) console.log(`  skipped: ${s}`);
    assert.deepEqual(failures, []);
    assert.ok(counts.passed > 0);
  });
}
