//! Arbitrary bytes as a config document: loading must never panic, hang or blow up memory, and
//! every flag of whatever loaded must evaluate without panicking (DESIGN §2 "Limits against
//! hostile input", §3 "Evaluation never panics").
//!
//! Inputs that start with 0xFF (never valid UTF-8, so never a document) are not a document but
//! the parameters of a generator of large hostile ones, which libFuzzer's input size limit
//! (4 KiB by default) could never reach: a list of up to a million names, ranges or keys, a
//! million repeated keys, nesting far past the limit, thousands of experiments and holdouts
//! (issue 8). See `generate`.
#![no_main]

use std::fmt::Write;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tandem::{Client, Config, Context, FixedClock, FlagType, Limits};

/// Inside the schedules the seeds use, so experiments are live.
const NOW: i64 = 1_795_000_000;

/// The first byte of a generator input.
const GENERATE: u8 = 0xFF;

fuzz_target!(|data: &[u8]| {
    let generated;
    let json = match data.split_first() {
        Some((&GENERATE, params)) => {
            generated = generate(params);
            generated.as_str()
        }
        // Config documents are text; non-UTF-8 input is rejected before the loader sees it.
        _ => match std::str::from_utf8(data) {
            Ok(json) => json,
            Err(_) => return,
        },
    };

    // The loader on its own, and what it reports (for generated documents, through the client
    // below only: loading a million-item document twice would take most of the time limit).
    if data.first() != Some(&GENERATE) {
        if let Ok(config) = Config::parse(json, &Limits::default()) {
            check_report(&config);
        }
    }

    // The same document through the client, then every flag.
    let Ok(client) = Client::from_json(json, FixedClock::at_unix_seconds(NOW), 1) else {
        return;
    };
    let snapshot = client.snapshot();
    let Some(config) = snapshot.config() else {
        return;
    };
    check_report(config);
    let keys: Vec<&str> = config.flag_keys().collect();
    let empty = Context::new();
    let with_key = Context::with_targeting_key("user-1");
    let default = Value::Null;
    for key in keys {
        for ctx in [&empty, &with_key] {
            let details = client.evaluate(key, ctx, &default, FlagType::Any);
            let _ = serde_json::to_string(&details);
            let _ = client.get_bool(key, ctx, false);
            let _ = client.get_string(key, ctx, "");
            let _ = client.get_int(key, ctx, 0);
            let _ = client.get_float(key, ctx, 0.0);
        }
    }
    // An unknown flag, too; and every flag at once, with its payload.
    let _ = client.get_bool("\u{0}not-a-flag", &empty, false);
    let mut outcomes = Vec::new();
    client.evaluate_all(&with_key, &mut outcomes);
    let _ = client.precompute(&with_key);
});

/// What a loaded config reports must be usable whatever the document.
fn check_report(config: &Config) {
    // A million bad items are counted, not listed (the loader keeps 1,000 and a summary).
    assert!(config.diagnostics().len() <= 1_001);
    for diagnostic in config.diagnostics() {
        let _ = diagnostic.to_string();
    }
    let _ = config.is_valid();
    let _ = config.revision();
}

/// Reads the generator's parameters from the input, zero when it runs out.
struct Params<'a>(&'a [u8]);

impl Params<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        first
    }

    /// A count up to `max`, spread so small and huge values are both common: the first byte
    /// picks a scale (1 to 1,000,000), the second a multiple of it.
    fn count(&mut self, max: usize) -> usize {
        let scale = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000][usize::from(self.byte() % 7)];
        (scale * (1 + usize::from(self.byte() % 10))).min(max)
    }
}

/// A flag with variants `a` and `b`.
const FLAG: &str = r#"{"state":"ENABLED","variants":{"a":"A","b":"B"},"defaultVariant":"a"}"#;

/// Builds a large hostile document from `params`: `kind, sizes…, choices…`. Every kind is a
/// shape of issue 8 (loader items 3, 5 and 7), with sizes up to the document size limit.
fn generate(params: &[u8]) -> String {
    let mut p = Params(params);
    let kind = p.byte() % 7;
    let mut doc = String::new();
    match kind {
        // An allocation of n names, some of them variants, some repeated.
        0 => {
            let n = p.count(1_000_000);
            let (known, repeat) = (p.byte(), p.byte().max(1));
            let _ = write!(
                doc,
                r#"{{"flags":{{"f":{FLAG}}},"experiments":{{"e":{{"flag":"f","status":"running","allocation":["#
            );
            for i in 0..n {
                let name = if i % 256 < usize::from(known) {
                    "a".to_owned()
                } else {
                    format!("v{}", i / usize::from(repeat))
                };
                let _ = write!(doc, r#"{}["{name}",1]"#, if i == 0 { "" } else { "," });
            }
            doc.push_str("]}}}");
        }
        // A holdout list of n names over e experiments (names repeated or unknown).
        1 => {
            let n = p.count(1_000_000);
            let e = p.count(5_000);
            let modulus = usize::from(p.byte()).max(1) * 40;
            doc.push_str(r#"{"flags":{"f":"#);
            doc.push_str(FLAG);
            doc.push_str(r#"},"experiments":{"#);
            for i in 0..e {
                let _ = write!(
                    doc,
                    r#"{}"e{i}":{{"flag":"f","status":"running","allocation":[["a",1],["b",1]]}}"#,
                    if i == 0 { "" } else { "," }
                );
            }
            doc.push_str(r#"},"holdouts":{"h":{"percent":5,"experiments":["#);
            for i in 0..n {
                let _ = write!(
                    doc,
                    r#"{}"e{}""#,
                    if i == 0 { "" } else { "," },
                    i % modulus
                );
            }
            doc.push_str("]}}}");
        }
        // A layer of e experiments with n ranges in all, overlapping or not.
        2 => {
            let n = p.count(1_000_000);
            let e = p.count(5_000).max(1);
            let width = u32::from(p.byte() % 4);
            doc.push_str(r#"{"flags":{"f":"#);
            doc.push_str(FLAG);
            doc.push_str(r#"},"experiments":{"#);
            for i in 0..e {
                let _ = write!(
                    doc,
                    r#"{}"e{i}":{{"flag":"f","status":"running","layer":"L","allocation":[["a",1],["b",1]]}}"#,
                    if i == 0 { "" } else { "," }
                );
            }
            doc.push_str(r#"},"layers":{"L":{"ranges":{"#);
            let per = n.div_ceil(e);
            for i in 0..e {
                let _ = write!(doc, r#"{}"e{i}":["#, if i == 0 { "" } else { "," });
                for j in 0..per {
                    let start = ((i * per + j) % 10_000) as u32;
                    let _ = write!(
                        doc,
                        "{}[{start},{}]",
                        if j == 0 { "" } else { "," },
                        (start + width).min(10_000)
                    );
                }
                doc.push(']');
            }
            doc.push_str("}}}}");
        }
        // n repeated keys at one of the places a duplicate can be.
        3 => {
            let n = p.count(1_000_000);
            let members = vec![r#""k":1"#; n].join(",");
            let place = p.byte() % 6;
            doc = match place {
                0 => format!(r#"{{"flags":{{"f":{FLAG},"f":{FLAG}}},"x":{{{members}}}}}"#),
                1 => format!(
                    r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"a":true}},"defaultVariant":"a","metadata":{{{members}}}}}}}}}"#
                ),
                2 => format!(r#"{{"flags":{{}},"metadata":{{{members}}}}}"#),
                3 => format!(
                    r#"{{"$evaluators":{{"e":{{{members}}}}},"flags":{{"f":{{"state":"ENABLED","variants":{{"a":true}},"defaultVariant":"a","targeting":{{"$ref":"e"}}}}}}}}"#
                ),
                4 => format!(
                    r#"{{"flags":{{"f":{FLAG}}},"experiments":{{"e":{{"flag":"f","status":"running","allocation":[["a",1]],{members}}}}}}}"#
                ),
                _ => {
                    let flags = vec![format!(r#""f":{FLAG}"#); n.min(100_000)].join(",");
                    format!(r#"{{"flags":{{{flags}}}}}"#)
                }
            };
        }
        // Nesting d deep, in a variant value, an if chain or an ignored field.
        4 => {
            let d = p.count(1_000_000);
            let place = p.byte() % 3;
            doc = match place {
                0 => format!(
                    r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"v":{{"x":{}1{}}}}},"defaultVariant":"v"}}}}}}"#,
                    "[".repeat(d),
                    "]".repeat(d)
                ),
                1 => {
                    // `{"if": [{"==": [{"var": "n"}, i]}, "a", <next>]}`, d deep, built in
                    // one pass (prefixes, `null`, closers).
                    let d = d.min(20_000);
                    let mut rule = String::new();
                    for i in 0..d {
                        let _ = write!(rule, r#"{{"if":[{{"==":[{{"var":"n"}},{i}]}},"a","#);
                    }
                    rule.push_str("null");
                    rule.push_str(&"]}".repeat(d));
                    format!(
                        r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"a":1,"b":2}},"defaultVariant":"b","targeting":{rule}}}}}}}"#
                    )
                }
                _ => format!(
                    r#"{{"flags":{{}},"x":{}{}}}"#,
                    r#"{"a":"#.repeat(d),
                    "}".repeat(d)
                ),
            };
        }
        // e experiments on one flag and h holdouts over all of them.
        5 => {
            let e = p.count(5_000);
            let h = p.count(1_000);
            doc.push_str(r#"{"flags":{"f":"#);
            doc.push_str(FLAG);
            doc.push_str(r#"},"experiments":{"#);
            for i in 0..e {
                let _ = write!(
                    doc,
                    r#"{}"e{i}":{{"flag":"f","status":"running","allocation":[["b",1]]}}"#,
                    if i == 0 { "" } else { "," }
                );
            }
            doc.push_str(r#"},"holdouts":{"#);
            for i in 0..h {
                let _ = write!(
                    doc,
                    r#"{}"h{i}":{{"percent":1,"experiments":["*"]}}"#,
                    if i == 0 { "" } else { "," }
                );
            }
            doc.push_str("}}");
        }
        // A flood of diagnostics: n unknown fields in a flag, or n flags each with a problem.
        // (300,000 at most: a million keys in one object take most of the 5 s an input gets in
        // an instrumented build.)
        _ => {
            let n = p.count(300_000);
            if p.byte() % 2 == 0 {
                let fields: Vec<String> = (0..n).map(|i| format!(r#""x{i}":1"#)).collect();
                let _ = write!(
                    doc,
                    r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"a":1}},"defaultVariant":"a",{}}}}}}}"#,
                    fields.join(",")
                );
            } else {
                let flags: Vec<String> = (0..n.min(20_000))
                    .map(|i| format!(r#""f{i}":{{"state":"ON"}}"#))
                    .collect();
                let _ = write!(doc, r#"{{"flags":{{{}}}}}"#, flags.join(","));
            }
        }
    }
    doc
}
