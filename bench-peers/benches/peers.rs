//! Tandem beside the Rust engines of other SDKs on the shared workloads (`../shared/bench`, its
//! README defines the cells), in one criterion run: W1 static flag, W2 targeted flag, W3
//! 34/33/33 split, each with the reused context and a fresh one per iteration; W4 all 50 flags
//! for one user; W5 loading the 1,000-flag config; a fresh 10-attribute context alone; the W2
//! rule alone (datalogic-rs beside Tandem's rule engine); the fresh input's own cost.
//!
//! Before any timing, the correctness check (`check.rs`) runs every engine through the timed
//! calls and stops the bench on any disagreement.
//!
//! `cargo bench --bench peers` in `bench-peers/` (one cell: `cargo bench --bench peers -- W2`);
//! `python3 report.py` then writes the table into `../BENCHMARKS.md`.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a bench whose workloads do not load or whose engines disagree has nothing to \
              measure: stopping with the reason is right"
)]

mod cells;
mod check;
mod engines;
mod run_info;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode};
use datalogic_rs::bumpalo::Bump;
use serde_json::Value;
use tandem::Context;
use tandem_bench_peers::flagd::{Document, ValueKind};
use tandem_bench_peers::fresh::{Generator, Sequence};
use tandem_bench_peers::workloads::Workloads;

use engines::datalogic::{json_context, Datalogic, TandemRule};
use engines::eppo::Eppo;
use engines::growthbook::GrowthBook;
use engines::tandem::{refill, Tandem, TandemExperiment};
use engines::unleash::Unleash;
use engines::{build, digest, Engine};

/// Every engine loaded from one flagd document's native forms.
struct Loaded {
    tandem: Tandem,
    unleash: Unleash,
    eppo: Eppo,
    growthbook: GrowthBook,
}

impl Loaded {
    fn new(flagd: &str) -> Self {
        Self {
            tandem: build(flagd).expect("tandem loads"),
            unleash: build(flagd).expect("unleash loads"),
            eppo: build(flagd).expect("eppo loads"),
            growthbook: build(flagd).expect("growthbook loads"),
        }
    }
}

fn correctness(w: &Workloads, static_json: &Value) -> Duration {
    let start = Instant::now();
    let (w13, w4, w5) = (
        Document::parse(&w.w1_w3).expect("w1-w3 parses"),
        Document::parse(&w.w4).expect("w4 parses"),
        Document::parse(&w.w5).expect("w5 parses"),
    );
    let e = Loaded::new(&w.w1_w3);
    let experiment: TandemExperiment = build(&w.w1_w3).expect("the experiment form loads");
    let run = |result: Result<(), String>| result.expect("correctness check");
    run(check::tandem_by_hand(&e.tandem, static_json));
    run(check::single_flags(
        "tandem-experiment",
        &experiment,
        &e.tandem,
        &w13,
        static_json,
    ));
    run(check::single_flags(
        "unleash",
        &e.unleash,
        &e.tandem,
        &w13,
        static_json,
    ));
    run(check::single_flags(
        "eppo",
        &e.eppo,
        &e.tandem,
        &w13,
        static_json,
    ));
    run(check::single_flags(
        "growthbook",
        &e.growthbook,
        &e.tandem,
        &w13,
        static_json,
    ));
    let e4 = Loaded::new(&w.w4);
    run(check::all_flags(
        "tandem",
        &e4.tandem,
        &e4.tandem,
        &w4,
        static_json,
        50,
    ));
    run(check::all_flags(
        "unleash",
        &e4.unleash,
        &e4.tandem,
        &w4,
        static_json,
        200,
    ));
    run(check::all_flags(
        "eppo",
        &e4.eppo,
        &e4.tandem,
        &w4,
        static_json,
        200,
    ));
    run(check::all_flags(
        "growthbook",
        &e4.growthbook,
        &e4.tandem,
        &w4,
        static_json,
        200,
    ));
    let e5 = Loaded::new(&w.w5);
    run(check::loaded(
        "unleash",
        &e5.unleash,
        &e5.tandem,
        &w5,
        static_json,
    ));
    run(check::loaded(
        "eppo",
        &e5.eppo,
        &e5.tandem,
        &w5,
        static_json,
    ));
    run(check::loaded(
        "growthbook",
        &e5.growthbook,
        &e5.tandem,
        &w5,
        static_json,
    ));
    let rule = w2_rule(&w.w1_w3);
    run(check::rule_alone(
        &Datalogic::compile(&rule).expect("datalogic-rs compiles the W2 rule"),
        &TandemRule::compile(&rule, "w2-targeted").expect("Tandem compiles the W2 rule"),
        &e.tandem,
        &w.static_context,
        static_json,
    ));
    start.elapsed()
}

/// The W2 flag's targeting rule, as the flagd file has it.
fn w2_rule(flagd: &str) -> Value {
    let doc: Value = serde_json::from_str(flagd).expect("w1-w3 parses");
    doc.pointer("/flags/w2-targeted/targeting")
        .cloned()
        .expect("w2-targeted has a targeting rule")
}

fn single_flag_cells(c: &mut Criterion, w: &Workloads, static_json: &Value, sum: &mut u64) {
    let e = Loaded::new(&w.w1_w3);
    let experiment: TandemExperiment = build(&w.w1_w3).expect("the experiment form loads");
    let cells = [
        ("W1-static", ("w1-static", ValueKind::Bool)),
        ("W2-targeted", ("w2-targeted", ValueKind::Bool)),
        ("W3-split", ("w3-split", ValueKind::Str)),
    ];
    for (group_name, flag) in cells {
        let mut group = c.benchmark_group(group_name);
        let reused = Tandem::static_context(static_json);
        cells::one_flag(&mut group, "tandem", &e.tandem, flag, &reused, sum);
        cells::one_flag_refill(&mut group, &e.tandem, flag, sum);
        if group_name == "W3-split" {
            let name = "tandem-experiment";
            cells::one_flag(&mut group, name, &experiment, flag, &reused, sum);
        }
        let reused = Unleash::static_context(static_json);
        cells::one_flag(&mut group, "unleash", &e.unleash, flag, &reused, sum);
        let reused = Eppo::static_context(static_json);
        cells::one_flag(&mut group, "eppo", &e.eppo, flag, &reused, sum);
        let reused = GrowthBook::static_context(static_json);
        cells::one_flag(&mut group, "growthbook", &e.growthbook, flag, &reused, sum);
        group.finish();
    }
}

fn all_flags_cells(c: &mut Criterion, w: &Workloads, static_json: &Value, sum: &mut u64) {
    let e = Loaded::new(&w.w4);
    let mut group = c.benchmark_group("W4-all-50-flags");
    let reused = Tandem::static_context(static_json);
    cells::all_flags(&mut group, "tandem", &e.tandem, &reused, sum);
    cells::all_flags_refill(&mut group, &e.tandem, sum);
    let reused = Unleash::static_context(static_json);
    cells::all_flags(&mut group, "unleash", &e.unleash, &reused, sum);
    let reused = Eppo::static_context(static_json);
    cells::all_flags(&mut group, "eppo", &e.eppo, &reused, sum);
    let reused = GrowthBook::static_context(static_json);
    cells::all_flags(&mut group, "growthbook", &e.growthbook, &reused, sum);
    group.finish();
}

fn load_cells(c: &mut Criterion, w: &Workloads) {
    let mut group = c.benchmark_group("W5-load-1000-flags");
    // Milliseconds per iteration: ten flat samples keep the run short.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    let native = |config: Result<String, String>| config.expect("the 1,000 flags convert");
    cells::load::<Tandem>(&mut group, "tandem", &native(Tandem::native_config(&w.w5)));
    cells::load::<Unleash>(
        &mut group,
        "unleash",
        &native(Unleash::native_config(&w.w5)),
    );
    cells::load::<Eppo>(&mut group, "eppo", &native(Eppo::native_config(&w.w5)));
    let config = native(GrowthBook::native_config(&w.w5));
    cells::load::<GrowthBook>(&mut group, "growthbook", &config);
    group.finish();
}

fn context_cells(c: &mut Criterion) {
    let mut group = c.benchmark_group("context-10-attributes");
    cells::context_alone::<Tandem>(&mut group, "tandem");
    let (mut generator, mut sequence) = (Generator::new(), Sequence::default());
    let mut ctx = Context::with_capacity(10);
    group.bench_function("tandem-refill", |b| {
        b.iter(|| {
            refill(&mut ctx, &generator.input(sequence.next_index()));
            black_box(&ctx);
        })
    });
    cells::context_alone::<Unleash>(&mut group, "unleash");
    cells::context_alone::<Eppo>(&mut group, "eppo");
    cells::context_alone::<GrowthBook>(&mut group, "growthbook");
    let mut arena = Bump::new();
    group.bench_function("datalogic", |b| {
        b.iter(|| {
            let input = generator.input(sequence.next_index());
            black_box(engines::datalogic::context(&input, &arena));
            arena.reset();
        })
    });
    group.finish();

    let mut group = c.benchmark_group("fresh-input");
    group.bench_function("generator", |b| {
        b.iter(|| digest(generator.input(sequence.next_index()).targeting_key))
    });
    group.finish();
}

fn rule_cells(c: &mut Criterion, w: &Workloads, static_json: &Value, sum: &mut u64) {
    let rule = w2_rule(&w.w1_w3);
    let datalogic = Datalogic::compile(&rule).expect("datalogic-rs compiles the W2 rule");
    let ours = TandemRule::compile(&rule, "w2-targeted").expect("Tandem compiles the W2 rule");
    let parsed = Datalogic::parse_context(&w.static_context).expect("the context parses");
    let mut group = c.benchmark_group("W2-rule-alone");
    let mut add = |d: u64| {
        *sum = sum.wrapping_add(d);
        d
    };
    let mut arena = Bump::new();
    group.bench_function(BenchmarkId::new("tandem-rule", "reused"), |b| {
        b.iter(|| add(ours.eval(black_box(static_json), |s| s.map_or(3, digest))))
    });
    let (mut generator, mut sequence) = (Generator::new(), Sequence::default());
    group.bench_function(BenchmarkId::new("tandem-rule", "fresh"), |b| {
        b.iter(|| {
            let data = json_context(&generator.input(sequence.next_index()));
            add(ours.eval(&data, |s| s.map_or(3, digest)))
        })
    });
    group.bench_function(BenchmarkId::new("datalogic", "reused"), |b| {
        b.iter(|| {
            add(datalogic.eval_parsed(black_box(&parsed), &mut arena, |s| s.map_or(3, digest)))
        })
    });
    group.bench_function(BenchmarkId::new("datalogic", "fresh"), |b| {
        b.iter(|| {
            let input = generator.input(sequence.next_index());
            add(datalogic.eval_fresh(&input, &mut arena, |s| s.map_or(3, digest)))
        })
    });
    group.finish();
}

fn main() {
    let w = match Workloads::load() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("peers: {e}; nothing measured");
            return;
        }
    };
    let static_json: Value = serde_json::from_str(&w.static_context).expect("the context parses");
    let run = run_info::start();
    let took = correctness(&w, &static_json);
    println!("correctness check: every engine agrees with Tandem ({took:.1?})");

    let mut c = Criterion::default().configure_from_args();
    let mut sum = 0u64;
    single_flag_cells(&mut c, &w, &static_json, &mut sum);
    all_flags_cells(&mut c, &w, &static_json, &mut sum);
    load_cells(&mut c, &w);
    context_cells(&mut c);
    rule_cells(&mut c, &w, &static_json, &mut sum);
    c.final_summary();
    println!("checksum of all results: {sum}");
    run_info::finish(run, sum);
}
