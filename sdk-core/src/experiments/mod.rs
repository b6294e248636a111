//! Experiments (DESIGN §3 step 5, §4): which variant of a flag a unit gets when an experiment
//! splits the flag. This module knows nothing of policies; the evaluation layer joins the two.

mod sticky;

pub(crate) use sticky::StickyStore;

#[cfg(feature = "config")]
mod assign;
#[cfg(feature = "config")]
pub(crate) use assign::*;
