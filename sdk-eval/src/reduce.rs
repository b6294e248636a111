//! One streaming pass over NDJSON events (DESIGN §6 exposures, decisions and tracks) down to
//! [`Stats`].
//!
//! Memory: per unit a few numbers per event metric, whatever the number of events. A track
//! event is folded into its unit's sums as soon as the unit's first exposure is *final* — no
//! exposure earlier than it can still arrive. The log may be out of time order by up to the
//! spec's `lateness_ms`: an exposure more than that behind the newest event seen is an error
//! (its unit's earlier outcomes might already be folded against another start), never a
//! silent change of the numbers. Tracks wait in a queue only while their unit's start is
//! unknown: for `lateness_ms`, plus the CUPED lookback when a metric has one (a pre-exposure
//! event must be kept until it is known whether an exposure follows within the lookback).
//!
//! Off-policy evaluation keeps one compact record per decision of the logged policy (and one
//! per reward event): its estimators need the reward models cross-fitted over all of them.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::Error;
use crate::ope::{OpeCollector, Targets};
use crate::spec::{Aggregation, Source, Spec};
use crate::stats::{ArmStats, Counts, MetricStats, Stats, Sums, FORMAT};

/// The fields of an event line the reducer reads; everything else is skipped.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    experiment: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    variant: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    holdout: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    unit: Option<Cow<'a, str>>,
    #[serde(default, rename = "errorCode", borrow)]
    error_code: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    value: Option<f64>,
    timestamp: i64,
    #[serde(default, borrow)]
    policy: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(default)]
    propensity: Option<f64>,
    #[serde(default, borrow)]
    context: Option<&'a RawValue>,
}

const NO_ARM: u16 = u16::MAX;
const NO_ACC: u32 = u32::MAX;
const NO_START: i64 = i64::MAX;
const SEVERAL: u8 = 1;
const HELD_OUT: u8 = 2;
const UNKNOWN_ARM: u8 = 4;
const FAILED: u8 = 8;

/// What the reducer keeps per unit: 16 bytes, plus the metric sums once it is exposed.
#[derive(Clone, Copy)]
struct Unit {
    /// The earliest exposure so far (`NO_START` before any).
    start: i64,
    /// Offset of its sums in `Reducer::sums` (`NO_ACC` before its first exposure).
    acc: u32,
    arm: u16,
    flags: u8,
}

/// A unit's events of one metric: inside the window, and inside the CUPED lookback.
#[derive(Clone, Copy, Default)]
struct Acc {
    count: u32,
    pre_count: u32,
    sum: f64,
    pre_sum: f64,
}

/// A track event waiting for its unit's start to be final.
struct Pending {
    unit: u32,
    slot: u16,
    timestamp: i64,
    value: f64,
}

/// An event metric's place among the per-unit sums.
struct Slot {
    aggregation: Aggregation,
    start_ms: i64,
    end_ms: i64,
    lookback_ms: Option<i64>,
}

/// The streaming reducer. Feed it lines, then [`Reducer::finish`].
pub struct Reducer<'s> {
    spec: &'s Spec,
    units: HashMap<Box<str>, u32>,
    state: Vec<Unit>,
    sums: Vec<Acc>,
    slots: Vec<Slot>,
    /// For each spec metric, its slot (event metrics only).
    metric_slot: Vec<Option<u16>>,
    by_event: HashMap<String, Vec<u16>>,
    pending: VecDeque<Pending>,
    max_lookback: i64,
    newest: i64,
    line: u64,
    counts: Counts,
    ope: Option<OpeCollector<'s>>,
}

impl std::fmt::Debug for Reducer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reducer")
            .field("units", &self.state.len())
            .field("pending", &self.pending.len())
            .field("lines", &self.line)
            .finish_non_exhaustive()
    }
}

impl<'s> Reducer<'s> {
    /// A reducer for `spec`; `targets` are the OPE target bundles by target name (the spec's
    /// `ope.targets` that name a bundle file).
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidSpec`] when a bundle target is missing or its actions are not
    /// among the logged policy's.
    pub fn new(spec: &'s Spec, targets: Targets<'s>) -> Result<Self, Error> {
        let mut slots = Vec::new();
        let mut metric_slot = Vec::with_capacity(spec.metrics.len());
        let mut by_event: HashMap<String, Vec<u16>> = HashMap::new();
        for metric in &spec.metrics {
            let Source::Event {
                event,
                aggregation,
                window,
                cuped_lookback_ms,
            } = &metric.source
            else {
                metric_slot.push(None);
                continue;
            };
            // At most 256 metrics (checked by the spec parser), so the index fits.
            let slot = slots.len() as u16;
            slots.push(Slot {
                aggregation: *aggregation,
                start_ms: window.start_ms,
                end_ms: window.end_ms,
                lookback_ms: *cuped_lookback_ms,
            });
            metric_slot.push(Some(slot));
            by_event.entry(event.clone()).or_default().push(slot);
        }
        let max_lookback = slots
            .iter()
            .filter_map(|s| s.lookback_ms)
            .max()
            .unwrap_or(0);
        let ope = match &spec.ope {
            Some(ope) => Some(OpeCollector::new(ope, targets)?),
            None => None,
        };
        Ok(Self {
            spec,
            units: HashMap::new(),
            state: Vec::new(),
            sums: Vec::new(),
            slots,
            metric_slot,
            by_event,
            pending: VecDeque::new(),
            max_lookback,
            newest: i64::MIN,
            line: 0,
            counts: Counts::default(),
            ope,
        })
    }

    /// Reads every line of `input`, calling `progress` with the bytes read so far and the
    /// units seen every 16 MiB or so.
    ///
    /// # Errors
    /// As [`Reducer::line`], and [`crate::ErrorKind::Io`] when reading fails.
    pub fn read(
        &mut self,
        mut input: impl BufRead,
        mut progress: impl FnMut(u64, usize),
    ) -> Result<(), Error> {
        let mut buffer = String::new();
        let mut bytes = 0u64;
        let mut reported = 0u64;
        loop {
            buffer.clear();
            let read = input.read_line(&mut buffer).map_err(|e| Error::io(&e))?;
            if read == 0 {
                progress(bytes, self.state.len());
                return Ok(());
            }
            bytes += read as u64;
            self.line(&buffer)?;
            if bytes - reported >= 1 << 24 {
                reported = bytes;
                progress(bytes, self.state.len());
            }
        }
    }

    /// Folds one NDJSON line (blank lines are skipped).
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidEvents`] naming the line when it is not an event, or when an
    /// exposure of the experiment arrives more than `lateness_ms` behind the newest event.
    pub fn line(&mut self, text: &str) -> Result<(), Error> {
        self.line += 1;
        if text.trim().is_empty() {
            return Ok(());
        }
        let event: Line<'_> = serde_json::from_str(text).map_err(|e| {
            Error::events(
                self.line,
                format!("not a Tandem event (column {})", e.column()),
            )
        })?;
        self.counts.events += 1;
        let timestamp = event.timestamp;
        match &*event.kind {
            "exposure" => self.exposure(&event)?,
            "track" => self.track(&event)?,
            "decision" => self.decision(&event)?,
            _ => {}
        }
        if timestamp > self.newest {
            self.newest = timestamp;
            self.drain_pending(self.watermark());
        }
        Ok(())
    }

    /// No exposure older than this can arrive any more.
    fn watermark(&self) -> i64 {
        self.newest.saturating_sub(self.spec.lateness_ms)
    }

    fn intern(&mut self, unit: &str) -> u32 {
        if let Some(&index) = self.units.get(unit) {
            return index;
        }
        // u32 units at most: 4 billion units is far beyond one machine's memory anyway.
        let index = self.state.len() as u32;
        self.units.insert(unit.into(), index);
        self.state.push(Unit {
            start: NO_START,
            acc: NO_ACC,
            arm: NO_ARM,
            flags: 0,
        });
        index
    }

    fn exposure(&mut self, event: &Line<'_>) -> Result<(), Error> {
        if event.experiment.as_deref() != Some(self.spec.experiment.as_str()) {
            return Ok(());
        }
        let Some(unit) = event.unit.as_deref() else {
            return Err(Error::events(self.line, "an exposure without a unit"));
        };
        self.counts.exposures += 1;
        if event.timestamp < self.watermark() {
            return Err(Error::events(
                self.line,
                format!(
                    "an exposure {} ms behind the newest event, more than lateness_ms ({}): \
                     sort the log by timestamp or raise lateness_ms",
                    self.newest.saturating_sub(event.timestamp),
                    self.spec.lateness_ms
                ),
            ));
        }
        let arm = match (&event.holdout, &event.variant) {
            (Some(_), _) => None,
            (None, Some(variant)) => Some(
                self.spec
                    .allocation
                    .iter()
                    .position(|(name, _)| name == variant),
            ),
            (None, None) => Some(None),
        };
        let index = self.intern(unit) as usize;
        let slots = self.slots.len();
        let Some(state) = self.state.get_mut(index) else {
            return Ok(());
        };
        match arm {
            None => state.flags |= HELD_OUT,
            Some(None) => state.flags |= UNKNOWN_ARM,
            // At most 64 arms (checked by the spec parser).
            Some(Some(arm)) => {
                let arm = arm as u16;
                if state.arm == NO_ARM {
                    state.arm = arm;
                } else if state.arm != arm {
                    state.flags |= SEVERAL;
                }
            }
        }
        if event.error_code.is_some() {
            state.flags |= FAILED;
        }
        state.start = state.start.min(event.timestamp);
        if state.acc == NO_ACC {
            state.acc = u32::try_from(self.sums.len() / slots.max(1))
                .map_err(|_| Error::events(self.line, "more than 2^32 exposed units"))?;
            self.sums.extend(std::iter::repeat_n(Acc::default(), slots));
        }
        Ok(())
    }

    fn track(&mut self, event: &Line<'_>) -> Result<(), Error> {
        self.counts.tracks += 1;
        let (Some(name), Some(unit)) = (event.name.as_deref(), event.unit.as_deref()) else {
            return Err(Error::events(
                self.line,
                "a track event without a name or unit",
            ));
        };
        if let Some(ope) = &self.ope {
            if ope.is_reward(name) {
                let index = self.intern(unit);
                if let Some(ope) = &mut self.ope {
                    ope.reward(index, event.timestamp, event.value.unwrap_or(0.0));
                }
            }
        }
        let Some(slots) = self.by_event.get(name) else {
            return Ok(());
        };
        let slots = slots.clone();
        let index = self.intern(unit);
        let value = event.value.unwrap_or(0.0);
        let watermark = self.watermark();
        let start = self.state.get(index as usize).map_or(NO_START, |u| u.start);
        for slot in slots {
            if start < watermark {
                self.fold(index, slot, event.timestamp, value);
            } else {
                self.pending.push_back(Pending {
                    unit: index,
                    slot,
                    timestamp: event.timestamp,
                    value,
                });
            }
        }
        Ok(())
    }

    fn decision(&mut self, event: &Line<'_>) -> Result<(), Error> {
        let Some(policy) = event.policy.as_deref() else {
            return Ok(());
        };
        let Some(folds) = self
            .ope
            .as_ref()
            .filter(|o| o.is_policy(policy))
            .map(|o| o.folds())
        else {
            return Ok(());
        };
        self.counts.decisions += 1;
        let Some(unit) = event.unit.as_deref() else {
            return Err(Error::events(self.line, "a decision without a unit"));
        };
        let index = self.intern(unit);
        let fold = crate::ope::fold_of(unit, folds);
        if let Some(ope) = &mut self.ope {
            ope.decision(
                unit,
                index,
                fold,
                event.timestamp,
                event.action.as_deref(),
                event.propensity,
                event.context,
            );
        }
        Ok(())
    }

    /// Folds the queued tracks whose unit's start is final, and drops those that no exposure
    /// can claim any more.
    fn drain_pending(&mut self, watermark: i64) {
        let horizon = watermark.saturating_sub(self.max_lookback);
        while let Some(front) = self.pending.front() {
            let start = self
                .state
                .get(front.unit as usize)
                .map_or(NO_START, |u| u.start);
            if start >= watermark && front.timestamp >= horizon {
                return;
            }
            if let Some(p) = self.pending.pop_front() {
                self.fold(p.unit, p.slot, p.timestamp, p.value);
            }
        }
    }

    /// Adds one track event to its unit's sums, relative to the unit's (final) start.
    fn fold(&mut self, unit: u32, slot: u16, timestamp: i64, value: f64) {
        let Some(state) = self.state.get(unit as usize) else {
            return;
        };
        if state.start == NO_START || state.acc == NO_ACC {
            return;
        }
        let Some(spec) = self.slots.get(slot as usize) else {
            return;
        };
        let offset = state.acc as usize * self.slots.len() + slot as usize;
        let Some(acc) = self.sums.get_mut(offset) else {
            return;
        };
        let since = timestamp.saturating_sub(state.start);
        if since >= spec.start_ms && since < spec.end_ms {
            acc.count = acc.count.saturating_add(1);
            acc.sum += value;
        } else if spec.lookback_ms.is_some_and(|l| since < 0 && since >= -l) {
            acc.pre_count = acc.pre_count.saturating_add(1);
            acc.pre_sum += value;
        }
    }

    /// Units seen so far (exposed or not).
    pub fn units(&self) -> usize {
        self.state.len()
    }

    /// Track events waiting for their unit's start.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Ends the pass: folds what is still queued and sums per arm and metric.
    ///
    /// # Errors
    /// None for the A/B part; the OPE part fails when a reward model cannot be fitted.
    pub fn finish(mut self) -> Result<Stats, Error> {
        self.drain_pending(i64::MAX);
        let arms = self.spec.allocation.len();
        let mut arm_stats: Vec<ArmStats> = self
            .spec
            .allocation
            .iter()
            .map(|(arm, _)| ArmStats {
                arm: arm.clone(),
                ..ArmStats::default()
            })
            .collect();
        let metric_count = self.spec.metrics.len();
        let mut sums = vec![Sums::default(); metric_count * arms];
        let slots = self.slots.len();
        let mut values = vec![0.0; slots];
        let mut covariates = vec![0.0; slots];
        let mut present = vec![false; slots];
        for unit in &self.state {
            if unit.acc == NO_ACC {
                continue;
            }
            if unit.flags & HELD_OUT != 0 {
                self.counts.held_out_units += 1;
                continue;
            }
            if unit.flags & UNKNOWN_ARM != 0 {
                self.counts.units_in_unknown_arms += 1;
                continue;
            }
            if unit.flags & SEVERAL != 0 {
                self.counts.units_in_several_arms += 1;
                continue;
            }
            let arm = unit.arm as usize;
            let Some(stats) = arm_stats.get_mut(arm) else {
                continue;
            };
            stats.units += 1;
            if unit.flags & FAILED != 0 {
                stats.failed_units += 1;
            }
            let base = unit.acc as usize * slots;
            for (slot, spec) in self.slots.iter().enumerate() {
                let acc = self.sums.get(base + slot).copied().unwrap_or_default();
                let (value, has) = aggregate(spec.aggregation, acc.count, acc.sum);
                let (covariate, _) = aggregate(spec.aggregation, acc.pre_count, acc.pre_sum);
                if let (Some(v), Some(c), Some(p)) = (
                    values.get_mut(slot),
                    covariates.get_mut(slot),
                    present.get_mut(slot),
                ) {
                    *v = value;
                    *c = covariate;
                    *p = has;
                }
            }
            for (m, metric) in self.spec.metrics.iter().enumerate() {
                let Some(target) = sums.get_mut(m * arms + arm) else {
                    continue;
                };
                match (&metric.source, self.metric_slot.get(m).copied().flatten()) {
                    (Source::Event { .. }, Some(slot)) => {
                        let slot = slot as usize;
                        if present.get(slot).copied().unwrap_or(false) {
                            let y = values.get(slot).copied().unwrap_or(0.0);
                            let x = covariates.get(slot).copied().unwrap_or(0.0);
                            target.add(y, x);
                        }
                    }
                    (
                        Source::Ratio {
                            numerator,
                            denominator,
                        },
                        _,
                    ) => {
                        let value_of = |metric: usize| {
                            self.metric_slot
                                .get(metric)
                                .copied()
                                .flatten()
                                .and_then(|s| values.get(s as usize).copied())
                                .unwrap_or(0.0)
                        };
                        target.add(value_of(*numerator), value_of(*denominator));
                    }
                    _ => {}
                }
            }
        }
        let mut metrics = Vec::with_capacity(metric_count * arms);
        for (m, metric) in self.spec.metrics.iter().enumerate() {
            for (a, (arm, _)) in self.spec.allocation.iter().enumerate() {
                metrics.push(MetricStats {
                    metric: metric.name.clone(),
                    arm: arm.clone(),
                    sums: sums.get(m * arms + a).copied().unwrap_or_default(),
                });
            }
        }
        let ope = match self.ope {
            Some(collector) => Some(collector.finish()?),
            None => None,
        };
        Ok(Stats {
            format: FORMAT.to_owned(),
            version: 1,
            experiment: self.spec.experiment.clone(),
            arms: arm_stats,
            metrics,
            counts: self.counts,
            ope,
        })
    }
}

/// A unit's value from its events in a window: `(value, present)`; `present` is false only
/// for a `mean` without events (the unit is left out of that metric).
fn aggregate(aggregation: Aggregation, count: u32, sum: f64) -> (f64, bool) {
    match aggregation {
        Aggregation::Any => (if count > 0 { 1.0 } else { 0.0 }, true),
        Aggregation::Count => (f64::from(count), true),
        Aggregation::Sum => (sum, true),
        Aggregation::Mean if count > 0 => (sum / f64::from(count), true),
        Aggregation::Mean => (0.0, false),
    }
}
