//! A synthetic population with a known best policy, served by the Tandem SDK itself: the
//! config's experiment splits units between a static offer and a personalization bundle that
//! logs its context; every visit is evaluated by the core's `Client`, the served offer is
//! clicked with a known probability, and the SDK's own events (exposures, decisions, tracks)
//! are what `tandem evaluate` reads.
//!
//! The truth, by segment (equally likely) and offer:
//!
//! | click probability | free-shipping | discount | bundle |
//! |---|---:|---:|---:|
//! | new | 0.10 | 0.06 | 0.04 |
//! | returning | 0.05 | 0.09 | 0.05 |
//! | vip | 0.04 | 0.05 | 0.12 |
//!
//! so the best static offer is `bundle` (0.07 per visit), the best personalized policy picks
//! each segment's best (0.1033…), and the value of personalization is 0.0333… per visit.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use serde_json::{json, Map, Value};
use tandem::{Client, Context, Timestamp};

/// The config: the experiment and the logging bundle.
pub const CONFIG: &str = include_str!("../config.json");

/// Segments, in the bundle's one-hot order.
pub const SEGMENTS: [&str; 3] = ["new", "returning", "vip"];

/// Offers (the bundle's actions), in order.
pub const OFFERS: [&str; 3] = ["free-shipping", "discount", "bundle"];

/// Click probability by segment and offer.
pub const CLICK: [[f64; 3]; 3] = [[0.10, 0.06, 0.04], [0.05, 0.09, 0.05], [0.04, 0.05, 0.12]];

/// The value per visit of always showing offer `a`.
pub fn static_value(a: usize) -> f64 {
    CLICK
        .iter()
        .map(|row| row.get(a).copied().unwrap_or(0.0))
        .sum::<f64>()
        / 3.0
}

/// The value per visit of showing each segment its best offer.
pub fn best_personalized_value() -> f64 {
    CLICK
        .iter()
        .map(|row| row.iter().copied().fold(0.0, f64::max))
        .sum::<f64>()
        / 3.0
}

/// SplitMix64: a small deterministic generator (no dependency, same stream everywhere).
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const HOUR: i64 = 3_600_000;

/// Simulates `units` customers visiting 1–3 times each, two hours or more apart, and returns
/// the SDK's events as NDJSON lines in time order (as a collector merging the hosts' batches
/// writes them).
///
/// # Errors
/// A config the core refuses, or an event it cannot serialize.
pub fn simulate(units: u64, seed: u64) -> Result<String, String> {
    let now = Arc::new(AtomicI64::new(1_796_000_000_000));
    let clock = {
        let now = Arc::clone(&now);
        move || Timestamp::from_unix_millis(now.load(Ordering::Relaxed))
    };
    // The entropy only keys the client's hash maps: it changes no result.
    let client = Client::from_json(CONFIG, clock, 7).map_err(|e| e.to_string())?;
    let mut rng = Rng::new(seed);
    let mut events: Vec<(i64, String)> = Vec::new();
    let no_offer = Map::new();
    for i in 0..units {
        let unit = format!("customer-{i}");
        let segment = rng.below(3) as usize;
        let visits = 1 + rng.below(3);
        // Units arrive spread over a week; each visit is 2–26 hours after the previous one.
        let mut t = 1_796_000_000_000 + (i as i64 * 7 * 24 * HOUR) / units.max(1) as i64;
        for _ in 0..visits {
            now.store(t, Ordering::Relaxed);
            let ctx = Context::from_value(json!({
                "targetingKey": unit,
                "segment": SEGMENTS.get(segment).copied().unwrap_or("new"),
                "email": format!("{unit}@example.com"),
            }))
            .map_err(|e| e.to_string())?;
            let served = client.get_object("offer", &ctx, &no_offer);
            let offer = served
                .value
                .get("offer")
                .and_then(Value::as_str)
                .unwrap_or("");
            let a = OFFERS.iter().position(|o| *o == offer).unwrap_or(1);
            let p = CLICK
                .get(segment)
                .and_then(|row| row.get(a))
                .copied()
                .unwrap_or(0.0);
            if rng.uniform() < p {
                now.store(t + 1 + (rng.below(600_000) as i64), Ordering::Relaxed);
                client
                    .track("click", &unit, None, Map::new())
                    .map_err(|e| e.to_string())?;
                if rng.uniform() < 0.3 {
                    let value = 20.0 + (rng.below(6000) as f64) / 100.0;
                    client
                        .track("purchase", &unit, Some(value), Map::new())
                        .map_err(|e| e.to_string())?;
                }
            }
            if rng.uniform() < 0.004 {
                client
                    .track("unsubscribe", &unit, None, Map::new())
                    .map_err(|e| e.to_string())?;
            }
            for event in client.drain_events() {
                let line = serde_json::to_string(&event).map_err(|e| e.to_string())?;
                let timestamp = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|v| v.get("timestamp").and_then(Value::as_i64))
                    .unwrap_or(0);
                events.push((timestamp, line));
            }
            t += 2 * HOUR + rng.below(24 * HOUR as u64) as i64;
        }
    }
    events.sort_by_key(|(timestamp, _)| *timestamp);
    let mut out = String::new();
    for (_, line) in events {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}
