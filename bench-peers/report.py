#!/usr/bin/env python3
"""Writes the peer benchmark's table into BENCHMARKS.md.

Reads what `cargo bench --bench peers` left in `target/criterion`: each cell's median
(`new/estimates.json`, named by `new/benchmark.json`) and the run's record (`peers-run.json`:
machine, load average, the arguments it ran with). Only results written by that run are used,
so the table never mixes runs; a cell the run did not measure shows as "—" and is listed.

The table replaces what stands between `<!-- peers:begin -->` and `<!-- peers:end -->` in
BENCHMARKS.md (the markers must be there). Python 3.8+, standard library only.

    python3 report.py [--target DIR] [--benchmarks FILE] [--dry-run]
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
BEGIN, END = "<!-- peers:begin -->", "<!-- peers:end -->"

# (column, crate in Cargo.lock, criterion function name)
PEERS = [
    ("Unleash", "unleash-yggdrasil", "unleash"),
    ("Eppo", "eppo_core", "eppo"),
    ("GrowthBook", "growthbook-rust", "growthbook"),
    ("datalogic-rs", "datalogic-rs", "datalogic"),
]

# (row label, criterion group, Tandem's function, the value, or None for a cell without one)
ROWS = [
    ("W1 static flag, reused context", "W1-static", "tandem", "reused"),
    ("W1 static flag, fresh context", "W1-static", "tandem", "fresh"),
    ("↳ fresh, Tandem refilling one context", "W1-static", "tandem-refill", "fresh"),
    ("W2 targeted flag, reused", "W2-targeted", "tandem", "reused"),
    ("W2 targeted flag, fresh", "W2-targeted", "tandem", "fresh"),
    ("↳ fresh, Tandem refilling one context", "W2-targeted", "tandem-refill", "fresh"),
    ("W3 34/33/33 split, reused (Tandem `fractional`)", "W3-split", "tandem", "reused"),
    ("W3 split, fresh (Tandem `fractional`)", "W3-split", "tandem", "fresh"),
    ("↳ fresh, Tandem refilling one context", "W3-split", "tandem-refill", "fresh"),
    ("W3 split, reused (Tandem experiment)", "W3-split", "tandem-experiment", "reused"),
    ("W3 split, fresh (Tandem experiment)", "W3-split", "tandem-experiment", "fresh"),
    ("W4 all 50 flags, reused", "W4-all-50-flags", "tandem", "reused"),
    ("W4 all 50 flags, fresh", "W4-all-50-flags", "tandem", "fresh"),
    ("↳ fresh, Tandem refilling one context", "W4-all-50-flags", "tandem-refill", "fresh"),
    ("W5 load 1,000 flags", "W5-load-1000-flags", "tandem", None),
    ("a fresh 10-attribute context alone (build + drop)", "context-10-attributes", "tandem", None),
    ("↳ Tandem refilling one context (clear + 10 sets)", "context-10-attributes",
     "tandem-refill", None),
    ("W2 rule alone, reused (Tandem: `targeting::Rule` on JSON)", "W2-rule-alone",
     "tandem-rule", "reused"),
    ("W2 rule alone, fresh (Tandem: `targeting::Rule` on JSON)", "W2-rule-alone",
     "tandem-rule", "fresh"),
]

NOTES = """\
What each column runs (all in one process, one criterion run; every engine loads its own native
config, converted in the crate from the flagd files: `bench-peers/src/convert/`):

- *Tandem*: a `Client` from the flagd text, evaluated through a `Reader` (the snapshot held for
  the run) — `get_bool` / `get_string`; all flags: `Reader::evaluate_all` with
  `EvalOptions::default()` into a reused `Vec<Outcome>`. Fresh context: `Context::with_capacity(10)`
  and the typed setters per iteration; "refilling" rows: one `Context` `clear()`ed and refilled,
  as the bindings do. Experiment rows: the split as a running experiment with allocation
  34/33/33 on the targeting key (reading it logs a deduplicated exposure, which `fractional` does
  not). Load: `Client::from_json`. The rule-alone rows: `tandem::targeting::Rule::evaluate` on a
  `serde_json::Value` (the core exposes no rule entry point over its typed `Context`).
- *Unleash*: `EngineState::apply_client_features` (client features JSON: toggles with
  constraints, string variants with payloads), `is_enabled` / `get_variant`, all flags:
  `resolve_all`. Its context: `userId` = the targeting key, the other 9 attributes as string
  properties.
- *Eppo*: `UniversalFlagConfig::from_json` + `Configuration::from_server_response` (UFC:
  allocations with rules, shard ranges over 10,000), `eval::get_assignment` with the expected
  type, `doLog` off; the subject key and 9 attributes (numbers numeric, the rest categorical).
  No plain evaluate-all (its precomputed configuration builds a client payload): all flags is a
  loop over `Configuration::flag_keys`.
- *GrowthBook*: the features payload decoded into `GrowthBookResponse` and the core
  `GrowthBook` built from it (its client builder would copy the features once more),
  `GrowthBook::check` with `GrowthBookAttribute`s (targeted flags as `force` rules with `$gte` /
  `$in` conditions, splits as experiment rules hashed on `targetingKey`); no evaluate-all: a
  loop over its feature map.
- *datalogic-rs*: the W2 rule alone, compiled once; the reused context parsed once
  (`ParsedData`), a fresh one built in its arena; the arena reset after each evaluation.

Every fresh cell generates the workloads' README input (a never-seen targeting key: a 2^21
cycle) inside the timed closure, the same code for every engine; that generation alone costs
{fresh_input} (cell `fresh-input/generator`) and is part of every fresh number above. Before timing, the bench checks every
engine through the timed calls: static and targeted flags equal to Tandem's on the reused
context and 2,000 fresh ones (200 for all-flags, 20 for every one of the 1,000 flags), each
split within ±2 points of its weights over 10,000 fresh keys. A ratio is the peer's median ÷
Tandem's: above 1, Tandem is faster."""


def fmt_time(ns):
    if ns is None:
        return "—"
    for unit, scale in (("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            value = ns / scale
            break
    else:
        unit, value = "ns", ns
    digits = 0 if value >= 100 else (1 if value >= 10 else 2)
    return f"{value:.{digits}f} {unit}"


def lock_versions(lock):
    versions = {}
    for block in lock.read_text().split("[[package]]"):
        name = re.search(r'^name = "([^"]+)"', block, re.M)
        version = re.search(r'^version = "([^"]+)"', block, re.M)
        if name and version:
            versions.setdefault(name.group(1), version.group(1))
    return versions


def results(criterion, since):
    """(group, function, value) → median ns, for results written at or after `since`."""
    out = {}
    for bench in criterion.glob("**/new/benchmark.json"):
        estimates = bench.with_name("estimates.json")
        if not estimates.exists() or estimates.stat().st_mtime < since:
            continue
        meta = json.loads(bench.read_text())
        median = json.loads(estimates.read_text())["median"]["point_estimate"]
        out[(meta["group_id"], meta.get("function_id"), meta.get("value_str"))] = median
    return out


def command(args):
    # Criterion is handed `--bench` by cargo; what follows `--` is the rest.
    user = [a for a in args if a != "--bench"]
    quoted = " ".join(a if re.fullmatch(r"[\w.=/-]+", a) else f"'{a}'" for a in user)
    return ("cd bench-peers && cargo bench --bench peers"
            + (f" -- {quoted}" if quoted else "") + " && python3 report.py")


def git(*args):
    try:
        return subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def build(target):
    criterion = target / "criterion"
    run_path = criterion / "peers-run.json"
    if not run_path.exists():
        sys.exit(f"report.py: {run_path} not found: run the bench first")
    run = json.loads(run_path.read_text())
    measured = results(criterion, run["started_unix"])
    versions = lock_versions(HERE / "Cargo.lock")
    missing = []

    def cell(group, function, value):
        key = (group, function, value)
        name = "/".join(x for x in key if x)
        if key not in measured and name not in missing:
            missing.append(name)
        return measured.get(key)

    header = ["workload (median)", "Tandem"]
    header += [
        f"{col} {versions.get(crate, '?')}" if col == crate
        else f"{col} ({crate} {versions.get(crate, '?')})"
        for col, crate, _ in PEERS
    ]
    header.append("fastest peer ÷ Tandem")
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    ahead = behind = 0
    for label, group, tandem_fn, value in ROWS:
        ours = cell(group, tandem_fn, value)
        row = [label, fmt_time(ours)]
        ratios = []
        for _, _, fn in PEERS:
            if group == "W2-rule-alone" and fn != "datalogic":
                row.append("")
                continue
            if fn == "datalogic" and group not in ("W2-rule-alone", "context-10-attributes"):
                row.append("")
                continue
            theirs = cell(group, fn, value)
            if theirs is None or ours is None:
                row.append(fmt_time(theirs))
                continue
            ratios.append(theirs / ours)
            row.append(f"{fmt_time(theirs)} ({theirs / ours:.2f}×)")
        if ratios:
            fastest = min(ratios)
            verdict = f"{fastest:.2f}" + ("" if fastest > 1 else " **behind**")
            ahead, behind = (ahead + 1, behind) if fastest > 1 else (ahead, behind + 1)
        else:
            verdict = "—"
        row.append(verdict)
        lines.append("| " + " | ".join(row) + " |")

    fresh_input = measured.get(("fresh-input", "generator", None))
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "../sdk-core", ".")
    rustc = subprocess.run(["rustc", "--version"], cwd=HERE, capture_output=True,
                           text=True).stdout.strip() or "rustc ?"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(run["started_unix"]))
    crates = ", ".join(f"{c} {versions.get(c, '?')}" for _, c, _ in PEERS)
    out = [
        BEGIN,
        "<!-- written by bench-peers/report.py from one run of the bench: edit report.py, "
        "not this block -->",
        "",
        "## Native peers: the Rust engines of other SDKs (issue 12)",
        "",
        "Tandem beside the Rust engines of other SDKs on the shared workloads of "
        "`../shared/bench`, every cell from the one criterion run below "
        "([`bench-peers/`](bench-peers/README.md); the crate is outside the SDK's workspace and "
        "CI). Rerun:",
        "",
        "    " + command(run.get("args", [])),
        "",
        f"Machine: {run.get('nproc', '?')} cores, {run.get('cpu', '?')}; load average "
        f"{run.get('load_start', '?')} at the start, {run.get('load_end', '?')} at the end "
        f"({when}). Tandem at `{commit}`{' with uncommitted changes' if dirty else ''}, "
        f"{rustc}; {crates}; criterion {versions.get('criterion', '?')}. The machine is shared "
        "with other engineers' builds: absolute numbers move with the load, the ratios compare "
        "engines measured minutes apart under it.",
        "",
        *lines,
        "",
        f"Tandem is ahead of every peer on {ahead} of {ahead + behind} rows.",
        "",
        NOTES.format(fresh_input=fmt_time(fresh_input)),
    ]
    if missing:
        out += ["", "Not measured by this run: " + ", ".join(f"`{m}`" for m in missing) + "."]
    out.append(END)
    return "\n".join(out) + "\n", missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", HERE / "target"))
    parser.add_argument("--target", type=pathlib.Path, default=default_target)
    parser.add_argument("--benchmarks", type=pathlib.Path, default=HERE.parent / "BENCHMARKS.md")
    parser.add_argument("--dry-run", action="store_true", help="print the block, write nothing")
    args = parser.parse_args()
    block, missing = build(args.target)
    if args.dry_run:
        print(block, end="")
    else:
        text = args.benchmarks.read_text()
        start, end = text.find(BEGIN), text.find(END)
        if start < 0 or end < start:
            sys.exit(f"report.py: {args.benchmarks} has no {BEGIN} … {END} block")
        args.benchmarks.write_text(text[:start] + block.rstrip("\n") + text[end + len(END):])
        print(f"report.py: wrote the peers table into {args.benchmarks}")
    if missing:
        print(f"report.py: {len(missing)} cells were not measured by this run", file=sys.stderr)


if __name__ == "__main__":
    main()
