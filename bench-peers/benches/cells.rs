//! The timed closures, one shape per kind of cell, generic over the engine so that every engine
//! runs the same loop around its own calls. Fresh cells generate the README's input (the same
//! cost for all, measured alone as `fresh-input`) and build the engine's context inside the
//! timed closure; results are folded into a checksum that the bench prints, and everything an
//! engine returns goes through `black_box`.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId};
use tandem::Context;
use tandem_bench_peers::flagd::ValueKind;
use tandem_bench_peers::fresh::{Generator, Sequence};

use crate::engines::tandem::{refill, Tandem};
use crate::engines::{digest, Engine};

/// A criterion group of wall-time cells.
pub type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// One evaluation of `flag` through the engine's typed call, as a number.
fn evaluate<E: Engine>(engine: &E, flag: &str, kind: ValueKind, ctx: &E::Ctx) -> u64 {
    match kind {
        ValueKind::Bool => engine.get_bool(black_box(flag), ctx).map_or(2, u64::from),
        ValueKind::Str => engine.get_str(black_box(flag), ctx, |s| s.map_or(3, digest)),
    }
}

/// A single flag with the reused context and with a fresh one per iteration.
pub fn one_flag<E: Engine>(
    group: &mut Group<'_>,
    name: &str,
    engine: &E,
    (flag, kind): (&str, ValueKind),
    reused: &E::Ctx,
    sum: &mut u64,
) {
    group.bench_function(BenchmarkId::new(name, "reused"), |b| {
        b.iter(|| {
            let d = evaluate(engine, flag, kind, black_box(reused));
            *sum = sum.wrapping_add(d);
            d
        })
    });
    let (mut generator, mut sequence) = (Generator::new(), Sequence::default());
    group.bench_function(BenchmarkId::new(name, "fresh"), |b| {
        b.iter(|| {
            let input = generator.input(sequence.next_index());
            let ctx = E::context(&input);
            let d = evaluate(engine, flag, kind, &ctx);
            *sum = sum.wrapping_add(d);
            d
        })
    });
}

/// Tandem with one `Context` cleared and refilled per iteration (the bindings' way).
pub fn one_flag_refill(
    group: &mut Group<'_>,
    tandem: &Tandem,
    (flag, kind): (&str, ValueKind),
    sum: &mut u64,
) {
    let (mut generator, mut sequence) = (Generator::new(), Sequence::default());
    let mut ctx = Context::with_capacity(10);
    group.bench_function(BenchmarkId::new("tandem-refill", "fresh"), |b| {
        b.iter(|| {
            refill(&mut ctx, &generator.input(sequence.next_index()));
            let d = evaluate(tandem, flag, kind, &ctx);
            *sum = sum.wrapping_add(d);
            d
        })
    });
}

/// Every flag for one user, with the reused context and with a fresh one per iteration.
pub fn all_flags<E: Engine>(
    group: &mut Group<'_>,
    name: &str,
    engine: &E,
    reused: &E::Ctx,
    sum: &mut u64,
) {
    let mut all = E::All::default();
    group.bench_function(BenchmarkId::new(name, "reused"), |b| {
        b.iter(|| {
            engine.evaluate_all(black_box(reused), &mut all);
            let n = E::all_len(black_box(&all));
            *sum = sum.wrapping_add(n as u64);
            n
        })
    });
    let (mut generator, mut sequence) = (Generator::new(), Sequence::default());
    group.bench_function(BenchmarkId::new(name, "fresh"), |b| {
        b.iter(|| {
            let ctx = E::context(&generator.input(sequence.next_index()));
            engine.evaluate_all(&ctx, &mut all);
            let n = E::all_len(black_box(&all));
            *sum = sum.wrapping_add(n as u64);
            n
        })
    });
}

/// Tandem's evaluate-all with one `Context` cleared and refilled per iteration.
pub fn all_flags_refill(group: &mut Group<'_>, tandem: &Tandem, sum: &mut u64) {
    let mut all = <Tandem as Engine>::All::default();
    let (mut generator, mut sequence) = (Generator::new(), Sequence::default());
    let mut ctx = Context::with_capacity(10);
    group.bench_function(BenchmarkId::new("tandem-refill", "fresh"), |b| {
        b.iter(|| {
            refill(&mut ctx, &generator.input(sequence.next_index()));
            tandem.evaluate_all(&ctx, &mut all);
            let n = all.len();
            *sum = sum.wrapping_add(n as u64);
            n
        })
    });
}

/// Parsing and building the engine's native config; the result is dropped outside the timing.
pub fn load<E: Engine>(group: &mut Group<'_>, name: &str, config: &str) {
    group.bench_function(name, |b| {
        b.iter_with_large_drop(|| E::load(black_box(config)))
    });
}

/// A fresh context alone: built and dropped.
pub fn context_alone<E: Engine>(group: &mut Group<'_>, name: &str) {
    let (mut generator, mut sequence) = (Generator::new(), Sequence::default());
    group.bench_function(name, |b| {
        b.iter(|| {
            let ctx = E::context(&generator.input(sequence.next_index()));
            black_box(&ctx);
        })
    });
}
