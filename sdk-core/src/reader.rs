//! A client's snapshot held for a run of evaluations (DESIGN §7: results "borrow (or hold an
//! `Arc` of) the snapshot they came from"). The client's own getters take the current snapshot
//! on every call — a pointer load and a reference count, cheap but not free; a [`Reader`] takes
//! it once, and its results borrow it.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::client::Client;
use crate::context::Context;
use crate::error::{Error, ErrorKind};
use crate::evaluation::{
    as_integer, EvalOptions, EvaluationDetails, FlagType, Outcome, SnapshotRef,
};
use crate::precomputed;
use crate::snapshot::Snapshot;

/// A [`Client`] with one snapshot held: every evaluation through it reads that snapshot (an
/// update of the client meanwhile is seen by the next reader), logs into the client's event
/// log as the client's own getters do, and returns details that borrow the reader.
///
/// ```
/// # #[cfg(feature = "config")] {
/// use tandem::{Client, Context, FixedClock};
///
/// let client = Client::from_json(
///     r#"{"flags": {"f": {"state": "ENABLED", "variants": {"a": "A"}, "defaultVariant": "a"}}}"#,
///     FixedClock::at_unix_seconds(0),
///     7,
/// )?;
/// let reader = client.reader();
/// let ctx = Context::with_targeting_key("user-1");
/// for _ in 0..3 {
///     assert_eq!(reader.get_string("f", &ctx, "default").value, "A");
/// }
/// # }
/// # Ok::<(), tandem::Error>(())
/// ```
#[derive(Debug)]
pub struct Reader<'c> {
    client: &'c Client,
    snapshot: Arc<Snapshot>,
}

impl<'c> Reader<'c> {
    /// A reader of `snapshot` (one this client produced: its updates, or
    /// [`Client::snapshot`]) — how a host that keeps a snapshot between calls evaluates on it.
    pub fn new(client: &'c Client, snapshot: Arc<Snapshot>) -> Self {
        Self { client, snapshot }
    }

    /// The snapshot held.
    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snapshot
    }

    pub(crate) fn into_snapshot(self) -> Arc<Snapshot> {
        self.snapshot
    }

    fn details<T>(
        &self,
        flag_key: &str,
        ctx: &Context,
        expected: FlagType,
        options: &EvalOptions<'_>,
        value: impl FnOnce(&Snapshot, &Outcome) -> T,
    ) -> EvaluationDetails<'_, T> {
        self.client.details(
            SnapshotRef::Borrowed(&self.snapshot),
            flag_key,
            ctx,
            expected,
            options,
            value,
        )
    }

    /// [`Client::evaluate_with`], on the held snapshot.
    pub fn evaluate_with(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: &Value,
        expected: FlagType,
        options: &EvalOptions<'_>,
    ) -> EvaluationDetails<'_, Value> {
        self.details(flag_key, ctx, expected, options, |s, o| {
            s.value(o).unwrap_or(default).clone()
        })
    }

    /// [`Client::get_bool`], on the held snapshot.
    pub fn get_bool(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: bool,
    ) -> EvaluationDetails<'_, bool> {
        self.details(
            flag_key,
            ctx,
            FlagType::Boolean,
            &EvalOptions::default(),
            |s, o| s.value(o).and_then(Value::as_bool).unwrap_or(default),
        )
    }

    /// [`Client::get_string`], on the held snapshot: the value borrows the snapshot (or is
    /// `default`), so serving it copies nothing.
    pub fn get_string<'a>(
        &'a self,
        flag_key: &str,
        ctx: &Context,
        default: &'a str,
    ) -> EvaluationDetails<'a, &'a str> {
        let snapshot: &'a Snapshot = &self.snapshot;
        self.details(
            flag_key,
            ctx,
            FlagType::String,
            &EvalOptions::default(),
            |_, o| snapshot.value(o).and_then(Value::as_str).unwrap_or(default),
        )
    }

    /// [`Client::get_int`], on the held snapshot.
    pub fn get_int(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: i64,
    ) -> EvaluationDetails<'_, i64> {
        self.details(
            flag_key,
            ctx,
            FlagType::Integer,
            &EvalOptions::default(),
            |s, o| s.value(o).and_then(as_integer).unwrap_or(default),
        )
    }

    /// [`Client::get_float`], on the held snapshot.
    pub fn get_float(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: f64,
    ) -> EvaluationDetails<'_, f64> {
        self.details(
            flag_key,
            ctx,
            FlagType::Float,
            &EvalOptions::default(),
            |s, o| s.value(o).and_then(Value::as_f64).unwrap_or(default),
        )
    }

    /// [`Client::get_object`], on the held snapshot: the value borrows the snapshot (or is
    /// `default`).
    pub fn get_object<'a>(
        &'a self,
        flag_key: &str,
        ctx: &Context,
        default: &'a Map<String, Value>,
    ) -> EvaluationDetails<'a, &'a Map<String, Value>> {
        let snapshot: &'a Snapshot = &self.snapshot;
        self.details(
            flag_key,
            ctx,
            FlagType::Object,
            &EvalOptions::default(),
            |_, o| {
                snapshot
                    .value(o)
                    .and_then(Value::as_object)
                    .unwrap_or(default)
            },
        )
    }

    /// [`Client::evaluate_all`] with options, on the held snapshot; the clock is read at most
    /// once for all flags, and nothing is logged.
    pub fn evaluate_all(
        &self,
        ctx: &Context,
        options: &EvalOptions<'_>,
        outcomes: &mut Vec<Outcome>,
    ) {
        outcomes.clear();
        let call = self.client.call(options);
        outcomes.extend(self.snapshot.outcomes(ctx, &call));
    }

    /// One flag by its index in the held snapshot ([`Snapshot::flag_index`]; hosts that cache
    /// the flag table cross their boundary with the index): evaluated, checked against
    /// `expected` and logged as [`Reader::evaluate_with`] does, and returned as the outcome
    /// alone, whose value, names and message the snapshot's tables give. An index past the
    /// last flag is `FLAG_NOT_FOUND`.
    pub fn evaluate_index(
        &self,
        flag: u32,
        ctx: &Context,
        expected: FlagType,
        options: &EvalOptions<'_>,
    ) -> Outcome {
        self.client
            .outcome_at(&self.snapshot, flag, ctx, expected, options)
    }

    /// [`Client::record_read`], on the held snapshot.
    pub fn record_read(&self, ctx: &Context, outcome: &Outcome, expected: FlagType) -> Outcome {
        self.client
            .record_read(&self.snapshot, ctx, outcome, expected)
    }

    /// [`Client::precompute_into`], on the held snapshot.
    ///
    /// # Errors
    /// [`ErrorKind::NotReady`] when the snapshot serves nothing.
    pub fn precompute_into(
        &self,
        ctx: &Context,
        options: &EvalOptions<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let snapshot = &*self.snapshot;
        if !snapshot.is_ready() {
            return Err(Error::new(
                ErrorKind::NotReady,
                "no config has been loaded yet",
            ));
        }
        let call = self.client.call(options);
        let max_unit = self.client.limits().max_unit_bytes;
        let mut writer = precomputed::PayloadWriter::begin(out, snapshot);
        snapshot.for_each_outcome(ctx, &call, |outcome| {
            // Most outcomes log no exposure: no call (nor a drop of its result) for them.
            if outcome.exposed {
                let unit = snapshot.exposure_unit(ctx, outcome, max_unit);
                writer.entry(outcome, unit.as_deref());
            } else {
                writer.entry(outcome, None);
            }
        });
        writer.finish();
        Ok(())
    }
}
