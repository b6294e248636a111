//! Operator implementations, grouped by what they work on.

pub(crate) mod arith;
pub(crate) mod collections;
pub(crate) mod flagd;
pub(crate) mod strings;
