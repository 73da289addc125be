//! Paired comparisons of model variants simulated on the same paths (common random numbers):
//! how many paths each variant hits, and how many it gains or loses against the baseline.
//!
//! Because the variants share their random numbers, the difference of two probabilities is
//! estimated from the paths on which the verdicts differ, and its standard error is far smaller
//! than that of two independent runs.

use serde::{Deserialize, Serialize};

use super::interval::Z_95;

/// Counts for `variants` (variant 0 is the baseline), each with its own targets, paired with the
/// baseline's target of the same id.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedAccumulator {
    pub paths: u64,
    /// `hits[v][t]`: paths on which variant v hits its target t.
    pub hits: Vec<Vec<u64>>,
    /// `gained[v][t]`: paths on which variant v hits target t and the baseline misses it.
    pub gained: Vec<Vec<u64>>,
    /// `lost[v][t]`: paths on which variant v misses target t and the baseline hits it.
    pub lost: Vec<Vec<u64>>,
}

impl PairedAccumulator {
    /// Empty counts for variants with `targets[v]` targets each.
    pub fn new(targets: &[usize]) -> Self {
        let zeros = || targets.iter().map(|&n| vec![0; n]).collect::<Vec<_>>();
        PairedAccumulator { paths: 0, hits: zeros(), gained: zeros(), lost: zeros() }
    }

    /// Checks counts read from a file: for every model and target, hits, gains and losses of at
    /// most `paths`, and gains no more than hits (a gain is a hit of the variant).
    pub fn check_counts(&self) -> Result<(), String> {
        for (v, ((hits, gained), lost)) in self.hits.iter().zip(&self.gained).zip(&self.lost).enumerate() {
            for (t, ((&h, &g), &l)) in hits.iter().zip(gained).zip(lost).enumerate() {
                if h > self.paths || g > h || l > self.paths || g.saturating_add(l) > self.paths {
                    return Err(format!(
                        "model {v}, target {t}: {h} hits, {g} gained and {l} lost are impossible on {} paths",
                        self.paths
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn merge(&mut self, other: &PairedAccumulator) {
        self.paths += other.paths;
        for (a, b) in [(&mut self.hits, &other.hits), (&mut self.gained, &other.gained), (&mut self.lost, &other.lost)]
        {
            for (x, y) in a.iter_mut().zip(b) {
                for (p, q) in x.iter_mut().zip(y) {
                    *p += *q;
                }
            }
        }
    }
}

/// The difference P(variant) − P(baseline) with a 95% interval from the paired verdicts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct PairedDifference {
    pub difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Standard error of the difference.
    pub std_error: f64,
}

impl PairedDifference {
    /// From `gained` and `lost` paths out of `paths`: the mean of D ∈ {−1, 0, 1} with its
    /// normal-approximation interval, Var(D) = (gained + lost)/n − d².
    pub fn new(gained: u64, lost: u64, paths: u64) -> Self {
        if paths == 0 {
            return PairedDifference { difference: f64::NAN, ci_low: f64::NAN, ci_high: f64::NAN, std_error: f64::NAN };
        }
        let n = paths as f64;
        let d = (gained as f64 - lost as f64) / n;
        let variance = ((gained + lost) as f64 / n - d * d).max(0.0);
        let std_error = (variance / n).sqrt();
        PairedDifference {
            difference: d,
            ci_low: (d - Z_95 * std_error).max(-1.0),
            ci_high: (d + Z_95 * std_error).min(1.0),
            std_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_difference_of_discordant_pairs() {
        // 100 gained, 20 lost of 10_000: d = 0.008, Var(D) = 0.012 − 0.008², se = sqrt(Var/n).
        let p = PairedDifference::new(100, 20, 10_000);
        assert!((p.difference - 0.008).abs() < 1e-15);
        let se = ((0.012 - 0.008f64 * 0.008) / 10_000.0).sqrt();
        assert!((p.std_error - se).abs() < 1e-15);
        assert!((p.ci_high - p.difference - Z_95 * se).abs() < 1e-15);
        let none = PairedDifference::new(0, 0, 500);
        assert_eq!((none.difference, none.ci_low, none.ci_high), (0.0, 0.0, 0.0));
    }
}
