//! Warnings about targets that load but are probably not what the plan means: a threshold 100×
//! or more away from the base-year value (a likely unit slip, 万亿元 against 亿元), a target
//! already met in the base year, and a target that needs a mean yearly growth (or change, or
//! addition) more than 10 standard deviations beyond its assumption.
//!
//! They never stop a scenario: `feasim check` and `feasim run` print them with the file, line and
//! column of the target's threshold.

use super::{Base, Comparator, Compounding, Indicator, Marginal, Metric, Process, Target};
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::raw::{Loc, RawTarget};

/// A threshold this many times the base-year value (or this fraction of it) is a likely unit slip.
pub const UNIT_SLIP_RATIO: f64 = 100.0;
/// A required mean yearly step this many standard deviations beyond the assumption is out of reach.
pub const OUT_OF_REACH_SD: f64 = 10.0;

/// Every warning about `targets` (built from `raw`); `derived_order` evaluates derived indicators.
pub fn check(
    raw: &[Loc<RawTarget>],
    targets: &[Target],
    indicators: &[Indicator],
    derived_order: &[usize],
    base_year: i32,
) -> Vec<Diagnostic> {
    let base = base_values(indicators, derived_order);
    let mut out = Vec::new();
    for t in targets.iter().filter(|t| t.versus.is_none()) {
        let Some(r) = raw.iter().find(|r| r.value.id.value == t.id) else { continue };
        let at = |message: String| match &r.value.threshold {
            Some(loc) => Diagnostic::at(loc, message),
            None => Diagnostic::at(&r.value.id, message),
        };
        let ctx = Context { t, indicators, base: &base, base_year };
        if let Some((message, help)) = ctx.unit_slip() {
            out.push(at(message).help(help));
        }
        if let Some((message, help)) = ctx.already_met() {
            out.push(at(message).help(help));
        }
        if let Some((message, help)) = ctx.out_of_reach() {
            out.push(at(message).help(help));
        }
    }
    out
}

/// Base-year values: statistics, the median of an uncertain base, derived expressions on those.
fn base_values(indicators: &[Indicator], derived_order: &[usize]) -> Vec<f64> {
    let mut base: Vec<f64> = indicators
        .iter()
        .map(|i| match &i.base {
            Base::Known { value, .. } => *value,
            Base::Uncertain { marginal, .. } => marginal.quantile(0.5),
            Base::Derived => f64::NAN,
        })
        .collect();
    let mut stack = Vec::new();
    for &i in derived_order {
        if let Process::Derived { expr } = &indicators[i].process {
            let v = expr.eval(|j| base[j], |j| base[j], &mut stack);
            base[i] = v;
        }
    }
    base
}

struct Context<'a> {
    t: &'a Target,
    indicators: &'a [Indicator],
    base: &'a [f64],
    base_year: i32,
}

type Warning = Option<(String, String)>;

impl Context<'_> {
    /// The tested quantity's base-year value, for metrics of a value in a year after the base.
    fn base_metric(&self) -> Option<f64> {
        let v = match self.t.metric {
            Metric::Value { indicator, year } if year > 0 => self.base[indicator],
            Metric::Share { numerator, denominator, year } if year > 0 => {
                100.0 * self.base[numerator] / self.base[denominator]
            }
            _ => return None,
        };
        v.is_finite().then_some(v)
    }

    fn unit(&self) -> String {
        if self.t.unit.is_empty() { String::new() } else { format!(" {}", self.t.unit) }
    }

    fn unit_slip(&self) -> Warning {
        let Metric::Value { indicator, .. } = self.t.metric else { return None };
        let b = self.base_metric()?;
        let thr = self.t.threshold;
        if b == 0.0 || thr == 0.0 {
            return None;
        }
        let ratio = (thr / b).abs();
        let how = if ratio >= UNIT_SLIP_RATIO {
            format!("{} times", fmt(ratio.round()))
        } else if ratio <= 1.0 / UNIT_SLIP_RATIO {
            format!("1/{} of", fmt((1.0 / ratio).round()))
        } else {
            return None;
        };
        let ind = &self.indicators[indicator];
        Some((
            format!(
                "target \"{}\": the threshold {}{} is {how} the base-year value of {} ({}{}): a likely unit slip",
                self.t.id,
                fmt(thr),
                self.unit(),
                ind.id,
                fmt(b),
                self.unit()
            ),
            format!(
                "if the plan states the target in another unit, write the threshold with it, e.g. threshold = \"2.5 万亿元\"; \
                 feasim converts it into the indicator's unit ({})",
                if ind.unit.is_empty() { "none given" } else { &ind.unit }
            ),
        ))
    }

    /// Only targets that ask for more (≥, >): a ceiling already respected in the base year (a
    /// 控制在…以内 target) is normal.
    fn already_met(&self) -> Warning {
        if !matches!(self.t.comparator, Comparator::Ge | Comparator::Gt) {
            return None;
        }
        let b = self.base_metric()?;
        if !self.t.test().holds(b) {
            return None;
        }
        Some((
            format!(
                "target \"{}\" is already met in the base year {}: the tested quantity is {}{} there, and the target asks for {} {}{}",
                self.t.id,
                self.base_year,
                fmt(b),
                self.unit(),
                self.t.comparator.symbol(),
                fmt(self.t.threshold),
                self.unit()
            ),
            "check the threshold and its unit; if the plan only asks to stay at or above this level, \
             the probability is that of not falling below it"
                .into(),
        ))
    }

    fn out_of_reach(&self) -> Warning {
        let t = self.t;
        let thr = t.threshold;
        let (indicator, from, to) = match t.metric {
            Metric::Value { indicator, year } => (indicator, 0, year),
            Metric::Cagr { indicator, from, to }
            | Metric::GrowthEveryYear { indicator, from, to }
            | Metric::CumulativeGrowth { indicator, from, to }
            | Metric::Change { indicator, from, to }
            | Metric::ChangeEveryYear { indicator, from, to } => (indicator, from, to),
            _ => return None,
        };
        if to <= from {
            return None;
        }
        let ind = &self.indicators[indicator];
        let n = (to - from) as f64;
        let b = self.base[indicator];
        let known_base = matches!(ind.base, Base::Known { .. });
        // The mean yearly step the target needs, on the scale of the indicator's shocks.
        let (required, marginals, what, unit) = match (&ind.process, &t.metric) {
            (Process::Level { growth, compounding, .. }, metric) => {
                let per_year_factor = match metric {
                    Metric::Value { .. } if known_base && b > 0.0 && thr > 0.0 => (thr / b).powf(1.0 / n),
                    Metric::Cagr { .. } | Metric::GrowthEveryYear { .. } if thr > -100.0 => 1.0 + thr / 100.0,
                    Metric::CumulativeGrowth { .. } if thr > -100.0 => (1.0 + thr / 100.0).powf(1.0 / n),
                    _ => return None,
                };
                let g = match compounding {
                    Compounding::Simple => 100.0 * (per_year_factor - 1.0),
                    Compounding::Log => 100.0 * per_year_factor.ln(),
                };
                (g, growth, "growth", "%")
            }
            (Process::Rate { change, .. }, m) | (Process::Count { additions: change, .. }, m) => {
                let step = match m {
                    Metric::Value { .. } if known_base => (thr - b) / n,
                    Metric::Change { .. } => thr / n,
                    Metric::ChangeEveryYear { .. } => thr,
                    _ => return None,
                };
                let (what, unit) =
                    if matches!(ind.process, Process::Rate { .. }) { ("change", " pp") } else { ("addition", "") };
                (step, change, what, unit)
            }
            _ => return None,
        };
        let years: &[Marginal] = marginals.get(from..to)?;
        let mean = years.iter().map(Marginal::mean).sum::<f64>() / n;
        // The largest yearly sd: the mean step over several years varies less than one year's
        // step, so this understates how far out the target is (no false alarms).
        let sd = years.iter().map(Marginal::sd).fold(0.0, f64::max);
        if !required.is_finite() || !mean.is_finite() || sd.is_nan() || sd.is_infinite() {
            return None;
        }
        let gap = match t.comparator {
            Comparator::Ge | Comparator::Gt => required - mean,
            Comparator::Le | Comparator::Lt => mean - required,
            // Two-sided tests: the step needed depends on which end; no warning rather than a wrong one.
            Comparator::Eq | Comparator::Between | Comparator::About => return None,
        };
        let z = if sd > 0.0 {
            gap / sd
        } else if gap > 1e-9 * (1.0 + mean.abs()) {
            f64::INFINITY
        } else {
            0.0
        };
        if z <= OUT_OF_REACH_SD {
            return None;
        }
        let direction = if required > mean { "above" } else { "below" };
        let distance = if z.is_finite() {
            format!("{z:.1} standard deviations {direction}")
        } else {
            format!("{direction}, and the assumption has no spread: it is fixed at")
        };
        let first = self.base_year + from as i32 + 1;
        let last = self.base_year + to as i32;
        Some((
            format!(
                "target \"{}\" looks out of reach: it needs a mean yearly {what} of {}{unit} in {first}–{last}, {distance} \
                 the assumed {}{unit} (sd {}{unit}) of {}",
                t.id,
                fmt(required),
                fmt(mean),
                fmt(sd),
                ind.id
            ),
            "check the threshold, its unit and the assumption; as written, the probability will be about 0".into(),
        ))
    }
}

/// A number with a sensible number of digits for a message (scientific notation beyond 10^15
/// and below 10^-6, as [`crate::numbers::shown`], never a 300-digit decimal).
fn fmt(v: f64) -> String {
    let a = v.abs();
    if !(a == 0.0 || (1e-6..1e15).contains(&a)) {
        return crate::numbers::shown(v);
    }
    let s = if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    /// A small scenario: GDP in 亿元 (base 7250, growth 5.2% ± 1.7), a rate (base 70%, +0.5 pp ± 0.3)
    /// and `target` appended.
    fn scenario(target: &str) -> String {
        format!(
            r#"
[scenario]
name = "w"
base_year = 2021
end_year = 2024

[[indicator]]
id = "c.gdp"
unit = "亿元"
kind = "level"
base = 7250
source = "test"
growth = {{ dist = "normal", mean = 5.2, sd = 1.7 }}

[[indicator]]
id = "c.urban"
unit = "%"
kind = "rate"
base = 70
source = "test"
change = {{ dist = "normal", mean = 0.5, sd = 0.3 }}
bounds = [0, 100]

[[target]]
id = "T1"
region = "甲"
{target}
"#
        )
    }

    fn warnings(target: &str) -> Vec<String> {
        let model = load_str("w.toml", &scenario(target)).unwrap_or_else(|e| panic!("{e}"));
        model.warnings
    }

    #[test]
    fn a_plausible_target_gives_no_warning() {
        let w =
            warnings("metric = \"value\"\nindicator = \"c.gdp\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 8500");
        assert!(w.is_empty(), "{w:?}");
        let w =
            warnings("metric = \"value\"\nindicator = \"c.urban\"\nyear = 2024\ncomparator = \"<=\"\nthreshold = 75");
        assert!(w.is_empty(), "a ceiling respected in the base year is normal: {w:?}");
    }

    #[test]
    fn a_threshold_100_times_the_base_is_a_likely_unit_slip() {
        // 2.5 万亿元 written as 2.5 against an indicator in 亿元.
        let w =
            warnings("metric = \"value\"\nindicator = \"c.gdp\"\nyear = 2024\ncomparator = \"<=\"\nthreshold = 2.5");
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with("warning: target \"T1\": the threshold 2.5 亿元 is 1/2900 of the base-year value"),
            "{}",
            w[0]
        );
        assert!(w[1].contains("looks out of reach"), "a fall to 2.5 is also out of reach: {}", w[1]);
        assert!(w[0].contains("w.toml:31:13") && w[0].contains("threshold = \"2.5 万亿元\""), "{}", w[0]);
        // ...and the same slip the other way, which also makes the target out of reach.
        let w =
            warnings("metric = \"value\"\nindicator = \"c.gdp\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 850000");
        assert!(w.iter().any(|w| w.contains("is 117 times the base-year value")), "{w:?}");
    }

    #[test]
    fn a_target_met_in_the_base_year_is_flagged() {
        let w =
            warnings("metric = \"value\"\nindicator = \"c.urban\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 68");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("target \"T1\" is already met in the base year 2021: the tested quantity is 70 % there, and the target asks for ≥ 68 %"),
            "{}",
            w[0]
        );
        assert!(w[0].contains("--> w.toml:31:13"), "{}", w[0]);
    }

    #[test]
    fn a_target_beyond_10_sd_of_its_assumption_is_out_of_reach() {
        // 7250 → 12000 in three years needs 18.3% a year against 5.2% ± 1.7: 7.7 sd, not flagged.
        let w =
            warnings("metric = \"value\"\nindicator = \"c.gdp\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 12000");
        assert!(w.is_empty(), "{w:?}");
        // 7250 → 14000 needs 24.5% a year: (24.5 − 5.2)/1.7 = 11.4 sd.
        let w =
            warnings("metric = \"value\"\nindicator = \"c.gdp\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 14000");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("needs a mean yearly growth of 24.5% in 2022–2024, 11.4 standard deviations above"),
            "{}",
            w[0]
        );
        // A CAGR target and a rate's change, the same rule.
        let w = warnings(
            "metric = \"cagr\"\nindicator = \"c.gdp\"\nfrom = 2021\nto = 2024\ncomparator = \">=\"\nthreshold = 23",
        );
        assert!(w.len() == 1 && w[0].contains("10.5 standard deviations above"), "{w:?}");
        let w = warnings(
            "metric = \"change\"\nindicator = \"c.urban\"\nfrom = 2021\nto = 2024\ncomparator = \">=\"\nthreshold = 12",
        );
        assert!(
            w.len() == 1 && w[0].contains("mean yearly change of 4 pp") && w[0].contains("11.7 standard deviations"),
            "{w:?}"
        );
    }
}
