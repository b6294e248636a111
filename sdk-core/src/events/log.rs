//! The client's event log: the bounded queue, exposure deduplication and the counters, behind
//! one lock that is held only to check and queue (events are built from snapshot tables, with
//! no parse or clock read inside).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::lru::LruSet;
use super::queue::EventQueue;
use super::{DecisionEvent, Event, Exposure, Track};
use crate::bucketing::hash_parts_seeded;
use crate::clock::Timestamp;
use crate::evaluation::{ErrorCode, Outcome};
use crate::snapshot::Snapshot;

#[derive(Debug)]
struct Inner {
    queue: EventQueue,
    seen: LruSet,
    deduplicated: u64,
    decisions: u64,
}

/// The queue and what deduplicates exposures.
#[derive(Debug)]
pub(crate) struct EventLog {
    inner: Mutex<Inner>,
    /// Keys the deduplication hash (host entropy).
    seed: u64,
}

/// Counters about the log, for `Stats`.
pub(crate) struct LogCounts {
    pub(crate) queued: usize,
    pub(crate) dropped: u64,
    pub(crate) deduplicated: u64,
    pub(crate) decisions: u64,
}

impl EventLog {
    pub(crate) fn new(events: usize, dedup: usize, seed: u64) -> Self {
        Self {
            inner: Mutex::new(Inner {
                queue: EventQueue::new(events),
                seen: LruSet::new(dedup),
                deduplicated: 0,
                decisions: 0,
            }),
            seed,
        }
    }

    /// A poisoned lock only means another thread panicked mid-update of plain data; the data
    /// is still consistent enough to keep logging, which beats failing every later evaluation.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Logs what reading `outcome` means (DESIGN §6): its exposure when an experiment assigned
    /// the unit (deduplicated, also when the arm failed), and its decision when a policy chose
    /// the value (always). `unit` is the experiment's unit, when one applied.
    pub(crate) fn record(
        &self,
        snapshot: &Snapshot,
        outcome: &Outcome,
        unit: Option<&str>,
        now: Timestamp,
    ) {
        let Some(flag) = outcome.flag.and_then(|f| snapshot.tables.flag(f)) else {
            return;
        };
        let experiment = outcome
            .experiment
            .and_then(|e| snapshot.tables.experiments.get(e as usize));
        let holdout = outcome
            .holdout
            .and_then(|h| snapshot.tables.holdouts.get(h as usize))
            .map(|h| Arc::clone(&h.text));
        let layer = experiment.and_then(|e| e.layer.as_ref().map(|l| Arc::clone(&l.text)));
        let revision = snapshot.revision_arc().cloned();
        if let (true, Some(experiment), Some(unit)) = (outcome.exposed, experiment, unit) {
            let arm = outcome
                .arm
                .and_then(|v| flag.variants.get(v as usize))
                .map(|v| &v.name.text);
            let key = hash_parts_seeded(
                &[
                    unit.as_bytes(),
                    &[0],
                    flag.key.text.as_bytes(),
                    &[0],
                    experiment.key.text.as_bytes(),
                    &[0],
                    arm.map_or(&[][..], |a| a.as_bytes()),
                ],
                self.seed,
            );
            let mut inner = self.lock();
            if inner.seen.insert(key) {
                inner.queue.push(Event::Exposure(Exposure {
                    flag: Arc::clone(&flag.key.text),
                    variant: arm.cloned(),
                    experiment: Arc::clone(&experiment.key.text),
                    layer: layer.clone(),
                    holdout: holdout.clone(),
                    unit: unit.to_owned(),
                    reason: outcome.reason.as_str(),
                    error_code: outcome.error_code.map(ErrorCode::as_str),
                    revision: revision.clone(),
                    timestamp: now.unix_millis(),
                }));
            } else {
                inner.deduplicated += 1;
            }
        }
        let Some(decision) = &outcome.decision else {
            return;
        };
        let (Some(policy), Some(action), Some(variant)) = (
            snapshot.tables.policies.get(decision.policy as usize),
            snapshot.tables.action(decision.policy, decision.action),
            outcome.variant.and_then(|v| flag.variants.get(v as usize)),
        ) else {
            return;
        };
        let exposed_unit = unit.filter(|_| outcome.exposed);
        let event = Event::Decision(DecisionEvent {
            flag: Arc::clone(&flag.key.text),
            variant: Arc::clone(&variant.name.text),
            experiment: experiment
                .filter(|_| outcome.exposed)
                .map(|e| Arc::clone(&e.key.text)),
            layer: layer.filter(|_| outcome.exposed),
            holdout,
            unit: exposed_unit.unwrap_or(&decision.unit).to_owned(),
            policy_unit: exposed_unit
                .filter(|u| **u != *decision.unit)
                .map(|_| decision.unit.to_string()),
            reason: outcome.reason.as_str(),
            revision,
            policy: Arc::clone(&policy.label),
            digest: Arc::clone(&policy.digest.text),
            action: Arc::clone(&action.key.text),
            propensity: decision.propensity,
            probabilities: decision.probabilities.clone(),
            optimality_gap: decision.optimality_gap,
            decision_key: decision.decision_key.to_string(),
            context: decision.context.as_deref().cloned(),
            context_omitted: decision.context_omitted,
            timestamp: now.unix_millis(),
        });
        let mut inner = self.lock();
        inner.decisions += 1;
        inner.queue.push(event);
    }

    pub(crate) fn track(&self, track: Track) {
        self.lock().queue.push(Event::Track(track));
    }

    pub(crate) fn drain(&self) -> Vec<Event> {
        self.lock().queue.drain()
    }

    pub(crate) fn counts(&self) -> LogCounts {
        let inner = self.lock();
        LogCounts {
            queued: inner.queue.len(),
            dropped: inner.queue.dropped(),
            deduplicated: inner.deduplicated,
            decisions: inner.decisions,
        }
    }
}
