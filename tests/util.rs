//! Helpers shared by the integration tests.

use feasim::engine::{self, RunConfig};
use feasim::model::Model;
use feasim::summary::Summary;

/// Load a scenario from text, panicking with the rendered diagnostics if it is invalid.
pub fn model(text: &str) -> Model {
    match feasim::scenario::load_str("test.toml", text) {
        Ok(m) => m,
        Err(e) => panic!("scenario should load:\n{e}"),
    }
}

/// Run on the current rayon pool.
pub fn run(model: &Model, paths: u64, seed: u64) -> Summary {
    engine::run(model, &RunConfig { paths, seed, ..RunConfig::default() }, &|_| {})
}

/// Run on a dedicated pool of `threads` threads.
pub fn run_on(model: &Model, paths: u64, seed: u64, threads: usize) -> Summary {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(|| run(model, paths, seed))
}

/// A scenario header with base year 2021 and projection to `end_year`.
pub fn header(end_year: i32) -> String {
    format!("[scenario]\nname = \"test\"\nbase_year = 2021\nend_year = {end_year}\n\n")
}

/// Standard normal CDF via statrs (an independent implementation from the engine's).
pub fn phi(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}

/// Assert that `hits` out of `n` is consistent with the exact probability `p`: within
/// `K_SIGMA` Monte Carlo standard errors. With the fixed seeds used here the outcome is
/// deterministic; K_SIGMA = 4.5 means a correct engine fails one check on a random seed with
/// probability 2·(1 − Φ(4.5)) = 6.8e-6, so a test making m checks fails with probability below
/// m × 6.8e-6 (Bonferroni): the tests in `statistics` make at most 3 each (2.0e-5 < 1e-4). A bias
/// of a fraction of a percentage point is still caught at these path counts.
pub fn assert_probability(what: &str, hits: u64, n: u64, p: f64) {
    const K_SIGMA: f64 = 4.5;
    let estimate = hits as f64 / n as f64;
    let se = (p * (1.0 - p) / n as f64).sqrt();
    let bound = K_SIGMA * se + 0.5 / n as f64;
    assert!(
        (estimate - p).abs() <= bound,
        "{what}: estimate {estimate:.5} ({hits}/{n}) differs from exact {p:.5} by more than {bound:.5} ({K_SIGMA} s.e.)"
    );
}

/// The JSON text of a summary (for bit-for-bit comparisons that also treat NaN as equal).
pub fn json(summary: &Summary) -> String {
    serde_json::to_string(summary).expect("summary serialises")
}
