"""Recomputes every case of testdata/bucketing.json with the independent Python implementation
(bucketing.py) and reports each mismatch. Exit status 0 only when every case and every unit
rejection matches and the file has at least MIN_CASES cases. The last line is always
"N passed, M failed".

    python testdata/python/check_vectors.py [testdata/bucketing.json]
"""

import json
import os
import sys

import bucketing

#: DESIGN §4 promises at least this many cases; fewer means a truncated file.
MIN_CASES = 1000

DEFAULT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bucketing.json")


def _short(value, limit=60):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


def check_case(case):
    """The names of the fields of ``case`` that this implementation computes differently."""
    salt = case["salt"]
    try:
        unit = bucketing.normalize_unit(case["unit"])
    except bucketing.NotAUnit as error:
        return [f"unit ({error.code})"]
    weights = case["weights"]
    percent = case["percent"]
    key = case["decision_key"]
    numerator = bucketing.policy_draw_numerator(salt, unit, key)
    # json.loads keeps integers exact and parses doubles correctly rounded, so every comparison
    # below is exact.
    computed = {
        "unit_normalized": unit,
        "hash": format(bucketing.h(salt, unit), "016x"),
        "bucket": bucketing.bucket(salt, unit),
        "allocation": bucketing.allocation(salt, unit, weights),
        "holdout_threshold": bucketing.holdout_threshold(percent),
        "held_out": bucketing.held_out(salt, unit, percent),
        "draw": bucketing.policy_draw(salt, unit, key),
        "draw_numerator": str(numerator),
    }
    wrong = []
    for field, value in computed.items():
        expected = case[field]
        # `type` too: True == 1 in Python, and a bool must not pass for a bucket.
        if type(value) is not type(expected) or value != expected:
            wrong.append(f"{field}: expected {_short(expected)}, computed {_short(value)}")
    return wrong


def check_rejection(rejection):
    """A mismatch message, or None when the value is rejected with the expected code."""
    value = rejection.get("unit", bucketing.MISSING)
    try:
        unit = bucketing.normalize_unit(value)
    except bucketing.NotAUnit as error:
        if error.code == rejection["problem"]:
            return None
        return f"expected {rejection['problem']}, got {error.code}"
    return f"expected {rejection['problem']}, accepted as unit {unit!r}"


def main(argv):
    path = argv[1] if len(argv) > 1 else DEFAULT_PATH
    with open(path, encoding="utf-8") as file:
        vectors = json.load(file)
    cases = vectors["cases"]
    passed = failed = 0
    for index, case in enumerate(cases):
        wrong = check_case(case)
        if wrong:
            failed += 1
            label = f"case {index} ({case['group']}, salt {_short(case['salt'])}, unit {_short(case['unit'])})"
            for message in wrong:
                print(f"FAIL {label}: {message}")
        else:
            passed += 1
    for index, rejection in enumerate(vectors.get("unit_rejections", [])):
        message = check_rejection(rejection)
        if message:
            failed += 1
            print(f"FAIL unit_rejections[{index}] {_short(rejection)}: {message}")
        else:
            passed += 1
    if len(cases) < MIN_CASES:
        failed += 1
        print(f"FAIL {path}: {len(cases)} cases, fewer than {MIN_CASES} (truncated?)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
