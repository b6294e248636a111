//! The host API on the shared workloads (../shared/bench, README there): evaluate every flag
//! of the 50-flag file for one context (target ≤ 2 µs), precompute those 50 flags into a reused
//! buffer (≤ 4 µs), fill a context from 10 typed attributes (≤ 150 ns), and evaluation
//! throughput on 2 threads with and without a third thread updating the config every
//! millisecond (reported as the wall time per evaluation of the pair of threads).
//!
//! `cargo bench -p tandem --bench host_api`; `cargo test -p tandem --benches` runs each once.
//! Without ../shared/bench beside the repository the bench says so and measures nothing.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a bench whose fixture does not load has nothing to measure: stopping is right"
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use tandem::{Client, Context, EvalOptions, FixedClock, Reason};

fn workload(name: &str) -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/bench")
        .join(name);
    std::fs::read_to_string(&path).ok()
}

fn load(config: &str) -> Client {
    Client::from_json(config, FixedClock::at_unix_seconds(1_795_000_000), 7)
        .expect("the workload loads")
}

/// The 10 attributes of `static-context.json`, set one by one with typed setters.
fn fill(ctx: &mut Context, key: &str) {
    ctx.clear();
    ctx.set_str("targetingKey", key);
    ctx.set_int("age", 34);
    ctx.set_str("country", "SE");
    ctx.set_str("plan", "pro");
    ctx.set_str("platform", "web");
    ctx.set_str("appVersion", "5.12.0");
    ctx.set_str("locale", "sv-SE");
    ctx.set_str("email", "someone@example.com");
    ctx.set_bool("beta", true);
    ctx.set_int("sessions", 17);
}

fn host_api(c: &mut Criterion) {
    let (Some(w4), Some(w13), Some(static_ctx)) = (
        workload("w4-50-flags.flagd.json"),
        workload("w1-w3.flagd.json"),
        workload("static-context.json"),
    ) else {
        eprintln!("host_api: ../shared/bench not found beside the repository; nothing measured");
        return;
    };
    let ctx = Context::from_json(&static_ctx).expect("the static context parses");
    let client = load(&w4);
    let mut outcomes = Vec::new();
    client.evaluate_all(&ctx, &mut outcomes);
    assert_eq!(outcomes.len(), 50);
    assert!(outcomes.iter().all(|o| o.error_code.is_none()));
    let mut group = c.benchmark_group("host");
    let reader = client.reader();
    group.bench_function("evaluate_all/w4_50_flags", |b| {
        b.iter(|| {
            reader.evaluate_all(black_box(&ctx), &EvalOptions::default(), &mut outcomes);
            outcomes.len()
        })
    });
    group.bench_function("evaluate_all/w4_50_flags_with_snapshot_load", |b| {
        b.iter(|| {
            client
                .evaluate_all(black_box(&ctx), &mut outcomes)
                .flag_count()
        })
    });
    let mut buffer = Vec::new();
    client
        .precompute_into(&ctx, &EvalOptions::default(), &mut buffer)
        .unwrap();
    assert!(buffer.len() > 1000);
    group.bench_function("precompute_into/w4_50_flags", |b| {
        b.iter(|| {
            client
                .precompute_into(black_box(&ctx), &EvalOptions::default(), &mut buffer)
                .map(|()| buffer.len())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("context");
    let mut reused = Context::with_capacity(10);
    fill(&mut reused, "user-0000000042");
    assert_eq!(reused, ctx);
    group.bench_function("fill_10_typed/reused", |b| {
        b.iter(|| {
            fill(&mut reused, black_box("user-0000000042"));
            reused.len()
        })
    });
    group.bench_function("fill_10_typed/fresh", |b| {
        b.iter(|| {
            let mut fresh = Context::with_capacity(10);
            fill(&mut fresh, black_box("user-0000000042"));
            fresh.len()
        })
    });
    group.finish();

    // Throughput: two evaluating threads, with and without an updater that loads the config
    // again every millisecond (each load a new snapshot swapped in). The time per iteration is
    // the wall time of the pair per evaluation.
    let shared = Arc::new(load(&w13));
    let key_ctx = Arc::new(ctx);
    let mut group = c.benchmark_group("throughput");
    for updating in [false, true] {
        let name = if updating {
            "2_threads_w2_targeted/updating_every_ms"
        } else {
            "2_threads_w2_targeted/no_updates"
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let stop = Arc::new(AtomicBool::new(false));
                let updater = updating.then(|| {
                    let (client, stop) = (shared.clone(), stop.clone());
                    let config = w13.clone();
                    std::thread::spawn(move || {
                        while !stop.load(Ordering::Relaxed) {
                            client.update(&config).unwrap();
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    })
                });
                let start = Instant::now();
                let workers: Vec<_> = (0..2)
                    .map(|_| {
                        let (client, ctx) = (shared.clone(), key_ctx.clone());
                        std::thread::spawn(move || {
                            for _ in 0..iters / 2 {
                                let d = client.get_bool(black_box("w2-targeted"), &ctx, false);
                                assert_eq!(d.reason, Reason::TargetingMatch);
                            }
                        })
                    })
                    .collect();
                for worker in workers {
                    worker.join().unwrap();
                }
                let elapsed = start.elapsed();
                stop.store(true, Ordering::Relaxed);
                if let Some(updater) = updater {
                    updater.join().unwrap();
                }
                elapsed
            })
        });
    }
    group.finish();
}

criterion_group!(benches, host_api);
criterion_main!(benches);
