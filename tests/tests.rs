//! feasim's integration tests, gathered in one test binary (as ripgrep does) so they build once.
//!
//! - `statistics`: Monte Carlo estimates against closed-form probabilities, within bounds derived
//!   from the Monte Carlo error at a fixed seed (so every run gives the same verdict);
//! - `determinism`: identical bits on 1 and 2 threads, sequential vs parallel, stream isolation;
//! - `errors`: one test per class of mistake in a scenario file;
//! - `golden`: every file in `scenarios/` against its recorded summary;
//! - `sampling`: variance reduction (antithetic, Latin hypercube) and `--precision` batches;
//! - `extremes`: extreme finite parameters refused where written, or run with impossible values reported;
//! - `coverage`: the 95% interval of every sampling design covers the truth 92–98% of the time;
//! - `cli`: the `feasim` command end to end;
//! - `report`: `feasim report` and report.html in headless Chromium (`tests/browser.py`);
//! - `shards`: sharded runs in separate processes merged byte for byte, and every refused merge;
//! - `extract`: precision and recall of `feasim extract` against answer keys;
//! - `grammar`: the target grammar (every year, ranges, about, ==, sums, past years, classes,
//!   joint targets) against exact answers.

mod analysis;
mod analysis_labels;
mod calibration;
mod cli;
mod coverage;
mod csv_pandas;
mod determinism;
mod errors;
mod extract;
mod extremes;
mod fuzz;
mod gate;
mod golden;
mod grammar;
mod report;
mod rqmc;
mod sampling;
mod shards;
mod sobol;
mod statistics;
mod util;
mod workbook;
