//! DESIGN §4's bucketing as pure functions: for hosts that show a unit's bucket, and for the
//! shared vectors (`testdata/bucketing.json`) that every binding replays.

use std::ffi::c_char;

use tandem::bucketing;

use crate::args::{self, Out};
use crate::error::{tandem_status, Failure};
use crate::panic::status;

/// `h(salt, unit)`: XXH3-64 of the UTF-8 salt, a 0x00 byte and the UTF-8 unit.
///
/// # Errors
/// `TANDEM_STATUS_NULL_ARGUMENT`, `_INVALID_UTF8`.
///
/// # Safety
/// The texts are readable for their lengths; `out_hash` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_bucketing_hash(
    salt: *const c_char,
    salt_len: usize,
    unit: *const c_char,
    unit_len: usize,
    out_hash: *mut u64,
) -> tandem_status {
    status(|| {
        let out = Out::new(out_hash, "out_hash")?;
        // SAFETY: the caller's contract.
        let (salt, unit) = unsafe {
            (
                args::text(salt, salt_len, "salt")?,
                args::text(unit, unit_len, "unit")?,
            )
        };
        // SAFETY: the caller's contract.
        unsafe { out.write(bucketing::hash(salt, unit)) };
        Ok(())
    })
}

/// The unit's bucket, 0 to 9,999.
///
/// # Errors
/// As `tandem_bucketing_hash`.
///
/// # Safety
/// As `tandem_bucketing_hash`.
#[no_mangle]
pub unsafe extern "C" fn tandem_bucketing_bucket(
    salt: *const c_char,
    salt_len: usize,
    unit: *const c_char,
    unit_len: usize,
    out_bucket: *mut u32,
) -> tandem_status {
    status(|| {
        let out = Out::new(out_bucket, "out_bucket")?;
        // SAFETY: the caller's contract.
        let (salt, unit) = unsafe {
            (
                args::text(salt, salt_len, "salt")?,
                args::text(unit, unit_len, "unit")?,
            )
        };
        // SAFETY: the caller's contract.
        unsafe { out.write(bucketing::bucket(salt, unit)) };
        Ok(())
    })
}

/// The arm that `count` integer `weights` allocate the unit to, as a 0-based index.
///
/// # Errors
/// `TANDEM_STATUS_NOT_FOUND` when the weights add up to 0; `_NULL_ARGUMENT`, `_INVALID_UTF8`.
///
/// # Safety
/// The texts are readable for their lengths; `weights` is readable for `count` values;
/// `out_index` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_bucketing_allocate(
    salt: *const c_char,
    salt_len: usize,
    unit: *const c_char,
    unit_len: usize,
    weights: *const u32,
    count: usize,
    out_index: *mut usize,
) -> tandem_status {
    status(|| {
        let out = Out::new(out_index, "out_index")?;
        // SAFETY: the caller's contract.
        let (salt, unit) = unsafe {
            (
                args::text(salt, salt_len, "salt")?,
                args::text(unit, unit_len, "unit")?,
            )
        };
        if weights.is_null() {
            return Err(Failure::null("weights"));
        }
        if count > isize::MAX as usize / size_of::<u32>() {
            return Err(Failure::new(
                tandem_status::InvalidArgument,
                "weights: the count is larger than any array",
            ));
        }
        // SAFETY: non-NULL, `count` readable values (the caller's contract), aligned as the
        // caller's `uint32_t` array is.
        let weights = unsafe { std::slice::from_raw_parts(weights, count) };
        let index = bucketing::allocate(salt, unit, weights).ok_or_else(|| {
            Failure::new(tandem_status::NotFound, "the weights add up to 0: no arm")
        })?;
        // SAFETY: the caller's contract.
        unsafe { out.write(index) };
        Ok(())
    })
}

/// A holdout's threshold: `round(percent × 100)` (half away from zero) clamped to
/// `[0, 10000]`; a unit is held out when its bucket is below it.
#[no_mangle]
pub extern "C" fn tandem_bucketing_holdout_threshold(percent: f64) -> u32 {
    crate::panic::guard(|| bucketing::holdout_threshold(percent))
}

/// The policy draw `u` in `[0, 1)` of a salt, a unit and a decision key (empty: none).
///
/// # Errors
/// As `tandem_bucketing_hash`.
///
/// # Safety
/// The texts are readable for their lengths; `out_draw` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_bucketing_policy_draw(
    salt: *const c_char,
    salt_len: usize,
    unit: *const c_char,
    unit_len: usize,
    decision_key: *const c_char,
    decision_key_len: usize,
    out_draw: *mut f64,
) -> tandem_status {
    status(|| {
        let out = Out::new(out_draw, "out_draw")?;
        // SAFETY: the caller's contract.
        let (salt, unit, key) = unsafe {
            (
                args::text(salt, salt_len, "salt")?,
                args::text(unit, unit_len, "unit")?,
                args::text(decision_key, decision_key_len, "decision_key")?,
            )
        };
        // SAFETY: the caller's contract.
        unsafe { out.write(bucketing::policy_draw(salt, unit, key)) };
        Ok(())
    })
}
