//! Grounding a scenario in data: `fit` estimates growth assumptions from an annual history
//! ([`fit`]), `score` checks a scenario's forecasts against what happened ([`score`]).
//!
//! Both read the same long CSV format ([`history`]); `fit` also reads a small TOML file that maps
//! history series to scenario indicators ([`map`]). Errors are [`crate::scenario::LoadError`]s
//! pointing at the file, line and column, like the scenario loader's.

pub mod fit;
pub mod history;
pub mod map;
pub mod score;
