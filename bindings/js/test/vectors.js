// Checks of bucketing.json and policies.json shared by the full and client builds.
import assert from 'node:assert/strict';

import { rawValues, testdata, testdataText } from './helpers.js';

export const requestsOf = (c) => c.requests.entries();

/** bucketing.json with its units' literals kept exact (some do not fit a double). */
function bucketingCases() {
  // Unit literals that are JSON numbers become strings of their digits, so the lossless
  // normalisation is tested on the literal itself.
  const text = testdataText('bucketing.json').replace(
    /"unit": ?(-?[0-9][0-9.eE+-]*)/g,
    (_, literal) => `"unit":{"$literal":"${literal}"}`,
  );
  return JSON.parse(text);
}

export function checkBucketing(bucketing) {
  const vectors = bucketingCases();
  let cases = 0;
  for (const [i, c] of vectors.cases.entries()) {
    const name = `case ${i} (${c.group})`;
    const unitJson = typeof c.unit === 'string' ? JSON.stringify(c.unit) : c.unit.$literal;
    assert.equal(bucketing.normalizeUnit(unitJson), c.unit_normalized, `${name}: unit`);
    const unit = c.unit_normalized;
    assert.equal(bucketing.hash(c.salt, unit), c.hash, `${name}: hash`);
    assert.equal(bucketing.bucket(c.salt, unit), c.bucket, `${name}: bucket`);
    assert.equal(bucketing.allocate(c.salt, unit, c.weights), c.allocation, `${name}: allocation`);
    assert.equal(bucketing.holdoutThreshold(c.percent), c.holdout_threshold, `${name}: threshold`);
    assert.equal(bucketing.heldOut(c.salt, unit, c.percent), c.held_out, `${name}: held out`);
    const draw = bucketing.policyDraw(c.salt, unit, c.decision_key);
    assert.equal(draw, c.draw, `${name}: draw`);
    assert.equal((BigInt(draw * 2 ** 53)).toString(), c.draw_numerator, `${name}: numerator`);
    cases++;
  }
  for (const r of vectors.unit_rejections) {
    const json = r.unit === undefined ? undefined : JSON.stringify(r.unit);
    assert.throws(() => bucketing.normalizeUnit(json), (e) => e.problem === r.problem, JSON.stringify(r));
  }
  assert.ok(cases >= 1000, `${cases} cases`);
}

const close = (actual, expected, what) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i] === null ? NaN : expected[i];
    if (Number.isNaN(e)) assert.ok(Number.isNaN(actual[i]), `${what}[${i}]: NaN`);
    else assert.ok(Math.abs(actual[i] - e) <= 1e-9, `${what}[${i}]: ${actual[i]} vs ${e}`);
  }
};

export function checkPolicies(PolicyBundle) {
  const vectors = testdata('policies.json');
  const text = testdataText('policies.json');
  // Each bundle exactly as written: its digest seals the text's numbers (`2.0` is not `2`).
  const bundles = new Map(
    Object.keys(vectors.bundles).map((name) => [name, new PolicyBundle(rawValues(text, name)[0])]),
  );
  let cases = 0;
  for (const [i, c] of vectors.cases.entries()) {
    const bundle = bundles.get(c.bundle);
    const name = `case ${i} (${c.bundle})`;
    close(bundle.features(c.context), c.features, `${name}: features`);
    close(bundle.rawScores(c.context), c.raw_scores, `${name}: raw scores`);
    const d = bundle.decide(c.context, { decisionKey: c.decision_key, eligible: c.eligible ?? undefined });
    close(d.scores, c.scores, `${name}: scores`);
    close(d.probabilities, c.probabilities, `${name}: probabilities`);
    close([d.propensity, d.optimalityGap], [c.propensity, c.optimality_gap], `${name}: propensity, gap`);
    assert.equal(d.draw, c.draw, `${name}: draw`);
    assert.equal(d.unit, c.unit, `${name}: unit`);
    assert.equal(d.action, c.action, `${name}: action`);
    assert.equal(d.actionIndex, c.action_index, `${name}: action index`);
    cases++;
  }
  for (const e of vectors.unit_errors) {
    assert.throws(
      () => bundles.get(e.bundle).decide(e.context),
      (error) => error.errorCode === e.error,
      JSON.stringify(e),
    );
  }
  assert.ok(cases >= 150, `${cases} cases`);
}
