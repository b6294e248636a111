//! Tandem's Rust quickstart: load a flag config, evaluate flags for a few users, print why each
//! got what it got; then the static-context path (evaluate every flag once, log on read) and an
//! experiment whose exposures the host drains.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map};
use tandem::{Client, Context, EvaluationDetails, FlagType, Timestamp};

/// The sample config, a flagd flag-definition file (every flagd file is a Tandem config).
const CONFIG: &str = include_str!("../flags.json");

/// A config with an experiment in a layer, a holdout and an experiment on 20% of traffic.
const EXPERIMENT: &str = include_str!("../experiment.json");

/// The host's clock: the core reads no clock of its own.
fn system_clock() -> Timestamp {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_unix_millis(millis)
}

/// The host's entropy (the core draws none): keys the client's hash maps of user input.
fn entropy() -> u64 {
    RandomState::new().build_hasher().finish()
}

fn line<T: std::fmt::Display>(details: &EvaluationDetails<'_, T>) -> String {
    format!(
        "{:<18} = {:<40} variant={:<8} reason={}",
        details.flag_key(),
        details.value.to_string(),
        details.variant().unwrap_or("-"),
        details.reason.as_str(),
    )
}

fn main() -> Result<(), tandem::Error> {
    let client = Client::from_json(CONFIG, system_clock, entropy())?;
    for problem in client.snapshot().diagnostics() {
        eprintln!("config: {problem}");
    }

    let users = [
        json!({"targetingKey": "user-1", "country": "SE", "appVersion": "3.1.0"}),
        json!({"targetingKey": "user-2", "country": "US", "appVersion": "2.9.4"}),
        json!({"targetingKey": "user-3", "country": "DE", "email": "qa@example.com"}),
    ];
    let no_object = Map::new();
    for user in users {
        let ctx = Context::from_value(user)?;
        println!("{}", ctx.as_value());
        println!("  {}", line(&client.get_bool("new-checkout", &ctx, false)));
        let button = client.get_object("checkout-button", &ctx, &no_object);
        println!("  {}", line(&button.map(|v| json!(v))));
        println!(
            "  {}",
            line(&client.get_string("min-app-version", &ctx, "0.0.0"))
        );
        println!("  {}", line(&client.get_int("results-per-page", &ctx, 20)));
        println!(
            "  {}",
            line(&client.get_bool("holiday-banner", &ctx, false))
        );
    }

    // Errors are results too: an unknown flag gives the caller's default and says why.
    let missing = client.get_bool("no-such-flag", &Context::new(), true);
    println!(
        "\nno-such-flag = {} reason={} errorCode={}",
        missing.value,
        missing.reason.as_str(),
        missing.error_code.map_or("-", |c| c.as_str()),
    );
    // Every result serializes to OpenFeature-shaped JSON, as the CLI and bindings print it.
    let details = client.get_object(
        "checkout-button",
        &Context::with_targeting_key("user-1"),
        &no_object,
    );
    println!("{}", serde_json::to_string(&details).unwrap_or_default());

    static_context(&client)?;
    experiments()
}

/// The static-context path of apps and browsers: build the context with typed setters, evaluate
/// every flag once (nothing is logged), read from the results, and log what is actually read.
fn static_context(client: &Client) -> Result<(), tandem::Error> {
    println!("\n-- every flag for one user, logged on read --");
    let mut ctx = Context::new();
    ctx.set_str("targetingKey", "user-1");
    ctx.set_str("country", "SE");
    ctx.set_str("appVersion", "3.1.0");
    let mut outcomes = Vec::new();
    let snapshot = client.evaluate_all(&ctx, &mut outcomes);
    let reads: Vec<&str> = snapshot.attributes().iter().map(|a| a.as_str()).collect();
    println!("  the config reads: {}", reads.join(", "));
    for outcome in &outcomes {
        println!(
            "  {:<18} = {:<40} reason={}",
            outcome
                .flag
                .and_then(|f| snapshot.flag_key(f))
                .unwrap_or("-"),
            snapshot.value_json(outcome).unwrap_or("(caller default)"),
            outcome.reason.as_str(),
        );
    }
    // The app shows the first flag: log its exposure and decision, if it has any.
    if let Some(first) = outcomes.first() {
        client.record_read(&snapshot, &ctx, first, FlagType::Any);
    }
    Ok(())
}

/// An experiment splits `checkout-button` three ways inside a layer; each assignment queues an
/// exposure event (once per unit and variant) that the host drains and ships.
fn experiments() -> Result<(), tandem::Error> {
    println!("\n-- experiments: examples/quickstart/experiment.json --");
    let client = Client::from_json(EXPERIMENT, system_clock, entropy())?;
    let no_object = Map::new();
    for n in 0..8 {
        let ctx =
            Context::from_value(json!({"targetingKey": format!("user-{n}"), "country": "SE"}))?;
        let details = client.get_object("checkout-button", &ctx, &no_object);
        let experiment = details
            .experiment()
            .map_or("-".to_owned(), |e| match e.holdout {
                Some(holdout) => format!("{} (held out by {holdout})", e.key),
                None => e.key.to_owned(),
            });
        println!(
            "  user-{n}: variant={:<8} reason={:<8} experiment={experiment}",
            details.variant().unwrap_or("-"),
            details.reason.as_str(),
        );
    }
    // The same user again: served the same variant, and no second exposure.
    let again = Context::from_value(json!({"targetingKey": "user-0", "country": "SE"}))?;
    client.get_object("checkout-button", &again, &no_object);
    client.track("purchase", "user-0", Some(42.5), Map::new())?;
    println!("  events to ship: {}", client.drain_events_json());
    Ok(())
}
