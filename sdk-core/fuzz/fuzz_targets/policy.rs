//! Policy bundles under hostile input (DESIGN §5): arbitrary bytes as a bundle must load or be
//! rejected without panicking, hanging or unbounded allocation; arbitrary contexts against the
//! project's sealed bundles (`testdata/policies.json`) must decide or fail cleanly, and every
//! decision must log a propensity equal to the probability of the chosen action.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tandem::policy::Bundle;
use tandem::Context;

/// The linear, MLP, feature-heavy and trees bundles of the shared vectors.
fn bundles() -> &'static [Bundle] {
    static BUNDLES: OnceLock<Vec<Bundle>> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        let vectors: Value = serde_json::from_str(include_str!("../../../testdata/policies.json"))
            .unwrap_or_default();
        vectors
            .get("bundles")
            .and_then(Value::as_object)
            .map(|bundles| {
                bundles
                    .values()
                    .filter_map(|b| Bundle::from_value(b).ok())
                    .collect()
            })
            .unwrap_or_default()
    })
}

fn check_decisions(bundle: &Bundle, ctx: &Context) {
    let first = bundle
        .actions()
        .first()
        .map(|a| a.key().to_owned())
        .unwrap_or_default();
    let only_first = [first.as_str()];
    for (key, eligible) in [("", None), ("request-7", Some(&only_first[..]))] {
        let Ok(decision) = bundle.decide(ctx, key, eligible) else {
            continue;
        };
        let total: f64 = decision.probabilities.iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "probabilities sum to {total}");
        assert_eq!(
            decision.probabilities.get(decision.action_index).copied(),
            Some(decision.propensity)
        );
        assert!(
            decision.propensity > 0.0,
            "an action of probability 0 was chosen"
        );
        let _ = serde_json::to_string(&decision);
    }
    let _ = bundle.raw_scores(ctx);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if mode % 2 == 0 {
        // The bytes as a bundle.
        if let Ok(bundle) = Bundle::from_json(text) {
            for ctx in [Context::new(), Context::with_targeting_key("u1")] {
                check_decisions(&bundle, &ctx);
            }
        }
    } else if let Ok(ctx) = Context::from_json(text) {
        // The bytes as a context, against every sealed bundle.
        for bundle in bundles() {
            check_decisions(bundle, &ctx);
        }
    }
});
