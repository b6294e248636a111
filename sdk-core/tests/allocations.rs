//! Allocations per evaluation with a prebuilt context (issue "the core's host API", Measure):
//! the static, JSON Logic and split paths allocate nothing once the context is built and the
//! unit's exposure is in the deduplication window. Counted per thread by a counting global
//! allocator, so tests running in parallel do not disturb each other.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tandem::{Client, Context, FixedClock, Outcome, Reason};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counter is a
// thread-local `Cell` with a const initializer, which neither allocates nor reenters.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract, which `System` requires too.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as for `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const CONFIG: &str = r#"{
  "flags": {
    "static": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
    "targeted": {"state": "ENABLED", "variants": {"on": true, "off": false},
                 "defaultVariant": "off",
                 "targeting": {"if": [{"and": [{">=": [{"var": "age"}, 18]},
                                               {"in": [{"var": "country"}, ["SE", "NO", "DK", "FI"]]}]},
                                      "on", null]}},
    "split": {"state": "ENABLED", "variants": {"a": 1, "b": 2, "c": 3}, "defaultVariant": "a"}
  },
  "experiments": {"split-test": {"flag": "split", "status": "running",
                                 "allocation": [["a", 34], ["b", 33], ["c", 33]]}},
  "holdouts": {"h": {"percent": 2.5, "experiments": ["*"]}}
}"#;

fn setup() -> (Client, Context) {
    let client = Client::from_json(CONFIG, FixedClock::at_unix_seconds(1_795_000_000), 3).unwrap();
    let ctx = Context::from_json(
        r#"{"targetingKey": "user-0000000042", "age": 34, "country": "SE", "plan": "pro",
            "platform": "web", "appVersion": "5.12.0", "locale": "sv-SE",
            "email": "someone@example.com", "beta": true, "sessions": 17}"#,
    )
    .unwrap();
    (client, ctx)
}

#[test]
fn typed_getters_allocate_nothing_on_the_budgeted_paths() {
    let (client, ctx) = setup();
    // Warm-up: the context's cached whole-object view, the unit's first exposure.
    assert_eq!(
        client.get_bool("targeted", &ctx, false).reason,
        Reason::TargetingMatch
    );
    assert_eq!(client.get_int("split", &ctx, 0).reason, Reason::Split);
    client.drain_events();
    for (flag, reason) in [
        ("static", Reason::Static),
        ("targeted", Reason::TargetingMatch),
    ] {
        let n = allocations(|| {
            for _ in 0..100 {
                assert_eq!(client.get_bool(flag, &ctx, false).reason, reason);
            }
        });
        assert_eq!(n, 0, "{flag}");
    }
    let n = allocations(|| {
        for _ in 0..100 {
            assert_eq!(client.get_int("split", &ctx, 0).reason, Reason::Split);
        }
    });
    assert_eq!(n, 0, "split");
    assert_eq!(client.stats().deduplicated, 100);
}

#[test]
fn evaluate_all_into_a_reused_vector_allocates_nothing() {
    let (client, ctx) = setup();
    let mut outcomes: Vec<Outcome> = Vec::new();
    client.evaluate_all(&ctx, &mut outcomes);
    let n = allocations(|| {
        for _ in 0..100 {
            let snapshot = client.evaluate_all(&ctx, &mut outcomes);
            assert_eq!(outcomes.len(), snapshot.flag_count());
        }
    });
    assert_eq!(n, 0);
}

/// The shared workloads' fresh 10-attribute context for request `i` (../shared/bench/README.md),
/// its two texts formatted ahead.
fn fresh_context(i: u32, key: &str, email: &str) -> Context {
    let mut ctx = Context::with_capacity(10);
    ctx.set_str("targetingKey", key);
    ctx.set_int("age", i64::from(10 + i % 50));
    ctx.set_str("country", ["SE", "US", "NO", "DE"][(i % 4) as usize]);
    ctx.set_str(
        "plan",
        ["free", "pro", "team", "enterprise"][(i % 4) as usize],
    );
    ctx.set_str("platform", "web");
    ctx.set_str("appVersion", "5.12.0");
    ctx.set_str("locale", "sv-SE");
    ctx.set_str("email", email);
    ctx.set_bool("beta", i & 16 == 0);
    ctx.set_int("sessions", i64::from(i % 256));
    ctx
}

/// A context built per request and dropped after it, as an edge worker does, reuses the
/// storage of the one dropped before it on the same thread: building it allocates nothing
/// (once the buffers have grown to the longest values), and neither does evaluating it.
#[test]
fn a_context_built_after_one_was_dropped_reuses_its_storage() {
    let (client, _) = setup();
    let texts = |i: u32| {
        (
            format!("user-{:010}", i.wrapping_mul(2_654_435_761)),
            format!("user{}@example.com", i % 1024),
        )
    };
    // The longest values first: later ones fit in their buffers.
    let (key, email) = texts(999);
    drop(fresh_context(3, &key, &email));
    for i in 1..100 {
        let (key, email) = texts(i);
        let n = allocations(|| {
            let ctx = fresh_context(i, &key, &email);
            assert_eq!(ctx.len(), 10);
            let on = i % 50 >= 8 && i % 2 == 0;
            assert_eq!(client.get_bool("targeted", &ctx, false).value, on, "{i}");
        });
        assert_eq!(n, 0, "request {i}");
    }
}

/// The shared workloads' own W1–W3 file and static context (../shared/bench): a static flag, the
/// targeted flag and the `fractional` split, through the client and through a reader, allocate
/// nothing per evaluation with the context built once.
#[test]
fn the_shared_w1_to_w3_workloads_allocate_nothing_per_evaluation() {
    let bench = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/bench");
    let read = |name: &str| std::fs::read_to_string(format!("{bench}/{name}"));
    let (Ok(config), Ok(context)) = (read("w1-w3.flagd.json"), read("static-context.json")) else {
        eprintln!("skipped: {bench} is not there");
        return;
    };
    let client = Client::from_json(&config, FixedClock::at_unix_seconds(1_795_000_000), 3).unwrap();
    let ctx = Context::from_json(&context).unwrap();
    let reader = client.reader();
    // flagd reports `fractional` as a targeting match.
    let cases = [
        ("w1-static", Reason::Static),
        ("w2-targeted", Reason::TargetingMatch),
        ("w3-split", Reason::TargetingMatch),
    ];
    let by_client = |flag: &str| match flag {
        "w3-split" => client.get_string(flag, &ctx, "").reason,
        _ => client.get_bool(flag, &ctx, false).reason,
    };
    let by_reader = |flag: &str| match flag {
        "w3-split" => reader.get_string(flag, &ctx, "").reason,
        _ => reader.get_bool(flag, &ctx, false).reason,
    };
    for (flag, reason) in cases {
        // Warm-up: whatever the first read of a flag caches.
        assert_eq!(by_client(flag), reason, "{flag}");
        let n = allocations(|| {
            for _ in 0..100 {
                assert_eq!(by_client(flag), reason, "{flag}");
            }
        });
        assert_eq!(n, 0, "{flag} through the client");
        let n = allocations(|| {
            for _ in 0..100 {
                assert_eq!(by_reader(flag), reason, "{flag}");
            }
        });
        assert_eq!(n, 0, "{flag} through a reader");
    }
}
