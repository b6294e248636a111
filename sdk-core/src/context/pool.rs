//! The storage of dropped contexts, kept per thread for the next context built there. An edge
//! worker builds and drops a context per request; taking the storage back (the entries, their
//! inline names and their string buffers) makes each build after the first allocation-free,
//! and a build that sets the same attributes in the same order also skips every name search
//! (see `Entries::slot_scanned`).
//!
//! Bounded: at most [`POOLED`] storages per thread, each cut by `Entries` to short names and
//! small strings before it is given back.

use std::cell::RefCell;

use super::entries::Stored;

/// Storages kept per thread: a thread rarely has more contexts than this being built at once.
const POOLED: usize = 4;

thread_local! {
    static POOL: RefCell<Vec<Stored>> = const { RefCell::new(Vec::new()) };
}

/// A stored context's storage, when this thread has one.
pub(super) fn take() -> Option<Stored> {
    POOL.try_with(|pool| pool.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten()
}

/// Keeps `stored` for this thread's next context, or drops it when the pool is full (or the
/// thread is ending and its pool gone).
pub(super) fn give(stored: Stored) {
    let _ = POOL.try_with(move |pool| {
        if let Ok(mut pool) = pool.try_borrow_mut() {
            if pool.len() < POOLED {
                pool.push(stored);
            }
        }
    });
}
