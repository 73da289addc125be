//! feasim: how likely is each numeric target of a multi-year plan to be met?
//!
//! The library turns a scenario file (TOML) into a validated [`model::Model`], projects every
//! indicator along many random paths in parallel ([`engine`]), and condenses the paths into a
//! [`summary::Summary`]: the probability of hitting each target with its Monte Carlo uncertainty,
//! quantiles of every metric and indicator, and the distribution of the number of targets hit.
//!
//! ```no_run
//! use feasim::{engine::RunConfig, scenario};
//!
//! let model = scenario::load("scenarios/tutorial.toml".as_ref()).expect("a valid scenario");
//! let config = RunConfig { paths: 10_000, seed: model.default_seed, ..RunConfig::default() };
//! let summary = feasim::engine::run(&model, &config, &|_| {});
//! for target in &summary.targets {
//!     println!("{} P(hit) = {:.3} [{:.3}, {:.3}]", target.id, target.probability, target.ci_low, target.ci_high);
//! }
//! ```
//!
//! Layering (see ARCHITECTURE.md): `scenario` (file format, diagnostics) → `model` (validated,
//! serde-free) → `engine` (pure simulation, the only place that uses rayon) → `summary`
//! (mergeable accumulators and the serializable result) → `report` and `plot` (files and charts).

pub mod analysis;
pub mod calibration;
pub mod engine;
pub mod extract;
pub mod model;
pub mod numbers;
pub mod plot;
pub mod report;
pub mod scenario;
pub mod shard;
pub mod summary;
