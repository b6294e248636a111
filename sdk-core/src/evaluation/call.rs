//! What one evaluation call shares across the flags it evaluates: the options, the clock read
//! at most once, the sticky store and the unit bound.

use std::cell::Cell;
use std::sync::Mutex;

use super::details::EvalOptions;
use crate::clock::{Clock, Timestamp};
use crate::experiments::StickyStore;

/// The host clock, read at most once per evaluation call (DESIGN §7), and only by flags whose
/// rules or schedules depend on it; never while a lock is held.
pub(crate) struct Now<'a> {
    clock: &'a dyn Clock,
    read: Cell<Option<Timestamp>>,
}

impl<'a> Now<'a> {
    /// Reads `clock` on first use, unless `fixed` gives the time.
    pub(crate) fn new(clock: &'a dyn Clock, fixed: Option<Timestamp>) -> Self {
        Self {
            clock,
            read: Cell::new(fixed),
        }
    }

    pub(crate) fn get(&self) -> Timestamp {
        if let Some(now) = self.read.get() {
            return now;
        }
        let now = self.clock.now();
        self.read.set(Some(now));
        now
    }
}

/// The inputs of one evaluation call besides the snapshot, the flag and the context.
pub(crate) struct Call<'a> {
    pub(crate) options: EvalOptions<'a>,
    pub(crate) now: Now<'a>,
    pub(crate) sticky: &'a Mutex<StickyStore>,
    pub(crate) max_unit_bytes: usize,
    pub(crate) max_decision_context_bytes: usize,
}
