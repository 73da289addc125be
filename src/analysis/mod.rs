//! Analyses built on the engine: how sensitive each target's probability is to each assumption,
//! what an assumption would have to be for a target to become likely, and what separates the
//! paths that hit a target from those that miss it.
//!
//! Every analysis compares model variants on the same random numbers (common random numbers):
//! streams are keyed by seed, path and indicator id, so a difference between two variants comes
//! from the assumptions, not from noise.

pub mod compare;
pub mod params;
pub mod sensitivity;
pub mod separation;
pub mod sobol;
pub mod solve;
pub mod sweep;
