//! The assumptions of a model as named, adjustable parameters — what sensitivity analyses,
//! sweeps and the solver move.
//!
//! Names (used on the command line, e.g. `--param shenyang.gdp_real:mean`):
//! - `<indicator>:mean` — the mean yearly growth (level), change (rate) or additions (count) of
//!   the *first* projection year, as written. Moving it by δ shifts every year's distribution by
//!   δ, so per-year overrides keep their pattern (for counts the additions' mean must stay ≥ 0).
//! - `<indicator>:spread` — a factor on the spread of every year's distribution around its
//!   centre (1 = as written).
//! - `<indicator>:base` — the base-year value (a statistic), or the centre of an uncertain base.
//! - `<indicator>:persistence` — the AR(1) coefficient of the yearly shocks.
//! - `<a>~<b>:rho` — the correlation between two indicators' shocks.
//!
//! With common random numbers, moving a centre moves every path's draw by the same amount, so
//! probabilities change smoothly and monotonically with it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::correlation::CorrelationMatrix;
use crate::model::{Base, Marginal, Model, Process};
use crate::scenario::diagnostic::did_you_mean;

/// What kind of assumption a parameter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParamKind {
    Mean,
    Spread,
    Base,
    Persistence,
    Correlation,
}

impl ParamKind {
    pub fn name(self) -> &'static str {
        match self {
            ParamKind::Mean => "mean",
            ParamKind::Spread => "spread",
            ParamKind::Base => "base",
            ParamKind::Persistence => "persistence",
            ParamKind::Correlation => "rho",
        }
    }
}

/// What a parameter belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Indicator(usize),
    /// Two indicators (indices into `Model::indicators`).
    Pair(usize, usize),
}

/// One adjustable assumption and its value in the model as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The name used on the command line and in outputs, e.g. `shenyang.gdp_real:mean`.
    pub id: String,
    pub kind: ParamKind,
    pub subject: Subject,
    /// The value in the scenario as written (a factor of 1 for spreads).
    pub value: f64,
    /// Unit of the value, e.g. "%/yr", "pp/yr", "亿元", "factor".
    pub unit: String,
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// A text in both chart languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Words {
    pub zh: String,
    pub en: String,
}

impl Words {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Words { zh: zh.into(), en: en.into() }
    }
}

/// An indicator's label in Chinese and English, each falling back to the other and then to its id.
pub fn indicator_words(model: &Model, i: usize) -> Words {
    let indicator = &model.indicators[i];
    let pick = |first: &str, second: &str| {
        [first, second, indicator.id.as_str()]
            .into_iter()
            .map(str::trim)
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_string()
    };
    Words { zh: pick(&indicator.label_zh, &indicator.label_en), en: pick(&indicator.label_en, &indicator.label_zh) }
}

impl Param {
    /// What the assumption is called in words, e.g. "沈阳市地区生产总值（2021年价格） · 增速均值" /
    /// "Shenyang real GDP (2021 prices) · growth mean" (the indicators' labels, never ids).
    pub fn label(&self, model: &Model) -> Words {
        match self.subject {
            Subject::Indicator(i) => {
                let name = indicator_words(model, i);
                let (zh, en) = match (self.kind, &model.indicators[i].process) {
                    (ParamKind::Mean, Process::Level { .. }) => ("增速均值", "growth mean"),
                    (ParamKind::Mean, Process::Rate { .. }) => ("年变化均值", "yearly change mean"),
                    (ParamKind::Mean, _) => ("年新增均值", "yearly additions mean"),
                    (ParamKind::Spread, _) => ("波动幅度", "spread"),
                    (ParamKind::Base, _) => ("基期值", "base value"),
                    (ParamKind::Persistence, _) => ("持续性", "persistence"),
                    (ParamKind::Correlation, _) => ("相关系数", "correlation"),
                };
                Words { zh: format!("{} · {zh}", name.zh), en: format!("{} · {en}", name.en) }
            }
            Subject::Pair(i, j) => {
                let (a, b) = (indicator_words(model, i), indicator_words(model, j));
                Words {
                    zh: format!("{} ~ {} · 相关系数", a.zh, b.zh),
                    en: format!("{} ~ {} · correlation", a.en, b.en),
                }
            }
        }
    }

    /// A move of this assumption from its written value to `value`, in words: "增速均值 −1 个百分点" /
    /// "growth mean −1 pp", "波动幅度 ÷ 1.5" / "spread ÷ 1.5", "base − sd", "base +1%".
    pub fn shift_words(&self, model: &Model, value: f64) -> Words {
        let delta = value - self.value;
        let sign = |d: f64| if d < 0.0 { "−" } else { "+" };
        let number = |d: f64| fmt_short(d.abs());
        match (self.kind, self.subject) {
            (ParamKind::Mean, Subject::Indicator(i)) => match model.indicators[i].process {
                Process::Level { .. } => Words::new(
                    format!("增速均值 {}{} 个百分点", sign(delta), number(delta)),
                    format!("growth mean {}{} pp", sign(delta), number(delta)),
                ),
                Process::Rate { .. } => Words::new(
                    format!("年变化均值 {}{} 个百分点", sign(delta), number(delta)),
                    format!("yearly change mean {}{} pp", sign(delta), number(delta)),
                ),
                _ => {
                    let relative = if self.value != 0.0 { 100.0 * delta / self.value } else { f64::NAN };
                    if relative.is_finite() {
                        Words::new(
                            format!("年新增均值 {}{}%", sign(relative), number(relative)),
                            format!("yearly additions mean {}{}%", sign(relative), number(relative)),
                        )
                    } else {
                        Words::new(
                            format!("年新增均值 {}{}", sign(delta), number(delta)),
                            format!("yearly additions mean {}{}", sign(delta), number(delta)),
                        )
                    }
                }
            },
            (ParamKind::Spread, _) => {
                let (op, factor) = if value < 1.0 { ("÷", 1.0 / value) } else { ("×", value) };
                Words::new(format!("波动幅度 {op} {}", fmt_short(factor)), format!("spread {op} {}", fmt_short(factor)))
            }
            (ParamKind::Base, Subject::Indicator(i)) => match &model.indicators[i].base {
                Base::Uncertain { marginal, .. }
                    if (delta.abs() - marginal.sd()).abs() <= 1e-9 * marginal.sd().max(1.0) =>
                {
                    Words::new(format!("基期值 {} 1 个标准差", sign(delta)), format!("base {} 1 sd", sign(delta)))
                }
                _ => {
                    let relative = if self.value != 0.0 { 100.0 * delta / self.value } else { f64::NAN };
                    if relative.is_finite() {
                        Words::new(
                            format!("基期值 {}{}%", sign(relative), number(relative)),
                            format!("base {}{}%", sign(relative), number(relative)),
                        )
                    } else {
                        Words::new(
                            format!("基期值 {}{}", sign(delta), number(delta)),
                            format!("base {}{}", sign(delta), number(delta)),
                        )
                    }
                }
            },
            (ParamKind::Persistence, _) => Words::new(
                format!("持续性 {}{}", sign(delta), number(delta)),
                format!("persistence {}{}", sign(delta), number(delta)),
            ),
            _ => Words::new(
                format!("相关系数 {}{}", sign(delta), number(delta)),
                format!("correlation {}{}", sign(delta), number(delta)),
            ),
        }
    }
}

/// A positive number in at most three significant digits, no trailing zeros (`1`, `0.5`, `1.5`).
fn fmt_short(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let decimals = if v == 0.0 { 0 } else { (2 - v.log10().floor() as i32).clamp(0, 6) as usize };
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// Every adjustable assumption of `model`, in the order of the file: per indicator its mean,
/// spread, base and persistence, then the correlations that are not zero.
pub fn parameters(model: &Model) -> Vec<Param> {
    let mut out = Vec::new();
    for (i, indicator) in model.indicators.iter().enumerate() {
        let Some((marginals, persistence)) = indicator.process.shock() else { continue };
        let id = &indicator.id;
        let unit = match indicator.process {
            Process::Level { .. } => "%/yr".to_string(),
            Process::Rate { .. } => "pp/yr".to_string(),
            _ => format!("{}/yr", indicator.unit),
        };
        let first = marginals[0];
        out.push(Param {
            id: format!("{id}:mean"),
            kind: ParamKind::Mean,
            subject: Subject::Indicator(i),
            value: first.mean(),
            unit,
        });
        if marginals.iter().any(has_spread) {
            out.push(Param {
                id: format!("{id}:spread"),
                kind: ParamKind::Spread,
                subject: Subject::Indicator(i),
                value: 1.0,
                unit: "factor".into(),
            });
        }
        let base = match &indicator.base {
            Base::Known { value, .. } => Some(*value),
            Base::Uncertain { marginal, .. } => Some(marginal.mean()),
            Base::Derived => None,
        };
        if let Some(value) = base {
            out.push(Param {
                id: format!("{id}:base"),
                kind: ParamKind::Base,
                subject: Subject::Indicator(i),
                value,
                unit: indicator.unit.clone(),
            });
        }
        out.push(Param {
            id: format!("{id}:persistence"),
            kind: ParamKind::Persistence,
            subject: Subject::Indicator(i),
            value: persistence,
            unit: String::new(),
        });
    }
    if let Some(matrix) = &model.correlation {
        let n = model.stochastic.len();
        for a in 0..n {
            for b in a + 1..n {
                let rho = matrix[a * n + b];
                if rho != 0.0 {
                    let (i, j) = (model.stochastic[a], model.stochastic[b]);
                    out.push(Param {
                        id: format!("{}~{}:rho", model.indicators[i].id, model.indicators[j].id),
                        kind: ParamKind::Correlation,
                        subject: Subject::Pair(i, j),
                        value: rho,
                        unit: String::new(),
                    });
                }
            }
        }
    }
    out
}

/// The parameter called `id`, or a message saying what exists.
pub fn find(model: &Model, id: &str) -> Result<Param, String> {
    let all = parameters(model);
    if let Some(p) = all.iter().find(|p| p.id == id) {
        return Ok(p.clone());
    }
    // A correlation may be named in either order, and need not be set in the file yet.
    if let Some(pair) = id.strip_suffix(":rho")
        && let Some((a, b)) = pair.split_once('~')
    {
        let (Some(i), Some(j)) = (model.indicator_index(a), model.indicator_index(b)) else {
            return Err(format!("\"{pair}\" does not name two indicators (write a~b:rho)"));
        };
        let (Some(ka), Some(kb)) =
            (model.stochastic.iter().position(|&k| k == i), model.stochastic.iter().position(|&k| k == j))
        else {
            return Err(format!("\"{pair}\": derived indicators have no shocks to correlate"));
        };
        if i == j {
            return Err("an indicator's correlation with itself is 1".into());
        }
        let n = model.stochastic.len();
        let value = model.correlation.as_ref().map_or(0.0, |m| m[ka * n + kb]);
        return Ok(Param {
            id: format!("{a}~{b}:rho"),
            kind: ParamKind::Correlation,
            subject: Subject::Pair(i, j),
            value,
            unit: String::new(),
        });
    }
    let hint = did_you_mean(id, all.iter().map(|p| p.id.as_str()))
        .unwrap_or_else(|| "names look like <indicator>:mean, :spread, :base, :persistence or <a>~<b>:rho".into());
    Err(format!("no parameter \"{id}\"; {hint}"))
}

/// The range a sensitivity analysis tries by default, as (low, high) values:
/// growth means ±1 percentage point; rate changes ±0.5 pp/yr; count additions ±20%; spreads
/// ÷/× 1.5; an uncertain base ± its standard deviation, a published base ±1% (the usual size of a
/// statistical revision); persistence and correlations ±0.2 within (−0.95, 0.95).
pub fn default_range(model: &Model, param: &Param) -> (f64, f64) {
    let v = param.value;
    match (param.kind, param.subject) {
        (ParamKind::Mean, Subject::Indicator(i)) => match model.indicators[i].process {
            Process::Level { .. } => (v - 1.0, v + 1.0),
            Process::Rate { .. } => (v - 0.5, v + 0.5),
            _ => (0.8 * v, 1.2 * v),
        },
        (ParamKind::Spread, _) => (1.0 / 1.5, 1.5),
        (ParamKind::Base, Subject::Indicator(i)) => match &model.indicators[i].base {
            Base::Uncertain { marginal, .. } => (v - marginal.sd(), v + marginal.sd()),
            _ => (0.99 * v, 1.01 * v),
        },
        _ => ((v - 0.2).max(-0.95), (v + 0.2).min(0.95)),
    }
}

/// A copy of `model` with `param` set to `value`.
pub fn with_value(model: &Model, param: &Param, value: f64) -> Result<Model, String> {
    if !value.is_finite() {
        return Err(format!("{param}: the value must be a finite number"));
    }
    let mut out = model.clone();
    match (param.kind, param.subject) {
        (ParamKind::Mean, Subject::Indicator(i)) => {
            let delta = value - param.value;
            for m in marginals_mut(&mut out, i) {
                *m = shifted(m, delta).map_err(|e| format!("{param} = {}: {e}", crate::numbers::rounded(value)))?;
            }
        }
        (ParamKind::Spread, Subject::Indicator(i)) => {
            if value <= 0.0 {
                return Err(format!("{param}: a spread factor must be > 0 (got {})", crate::numbers::shown(value)));
            }
            for m in marginals_mut(&mut out, i) {
                *m = scaled(m, value);
            }
        }
        (ParamKind::Base, Subject::Indicator(i)) => {
            let indicator = &mut out.indicators[i];
            match &mut indicator.base {
                Base::Known { value: v, .. } => *v = value,
                Base::Uncertain { marginal, .. } => {
                    *marginal = shifted(marginal, value - param.value)
                        .map_err(|e| format!("{param} = {}: {e}", crate::numbers::rounded(value)))?;
                }
                Base::Derived => return Err(format!("{param}: a derived indicator has no base of its own")),
            }
            if matches!(indicator.process, Process::Level { .. }) && value <= 0.0 {
                return Err(format!("{param}: a level's base must be positive (got {})", crate::numbers::shown(value)));
            }
        }
        (ParamKind::Persistence, Subject::Indicator(i)) => {
            if !(value > -1.0 && value < 1.0) {
                return Err(format!(
                    "{param}: persistence must lie strictly between -1 and 1 (got {})",
                    crate::numbers::shown(value)
                ));
            }
            match &mut out.indicators[i].process {
                Process::Level { persistence, .. }
                | Process::Rate { persistence, .. }
                | Process::Count { persistence, .. } => *persistence = value,
                Process::Derived { .. } => return Err(format!("{param}: a derived indicator has no shocks")),
            }
        }
        (ParamKind::Correlation, Subject::Pair(i, j)) => {
            if !(-1.0..=1.0).contains(&value) {
                return Err(format!(
                    "{param}: a correlation lies between -1 and 1 (got {})",
                    crate::numbers::shown(value)
                ));
            }
            let n = out.stochastic.len();
            let position = |k: usize| out.stochastic.iter().position(|&s| s == k);
            let (Some(a), Some(b)) = (position(i), position(j)) else {
                return Err(format!("{param}: derived indicators have no shocks to correlate"));
            };
            let mut values = out.correlation.clone().unwrap_or_else(|| {
                let mut identity = vec![0.0; n * n];
                (0..n).for_each(|k| identity[k * n + k] = 1.0);
                identity
            });
            values[a * n + b] = value;
            values[b * n + a] = value;
            let matrix = CorrelationMatrix::from_row_major(n, values.clone())?;
            let cholesky = matrix.cholesky().map_err(|_| {
                format!("{param} = {} makes the correlations contradict each other", crate::numbers::rounded(value))
            })?;
            out.cholesky = Some(cholesky);
            out.correlation = Some(values);
        }
        _ => return Err(format!("{param} cannot be changed")),
    }
    // The gate of every model (`model::validate`): what `feasim check` would refuse in a file
    // is refused here too, naming the value.
    out.validate().map_err(|refusal| format!("{param} = {}: {refusal}", crate::numbers::shown(value)))?;
    Ok(out)
}

fn marginals_mut(model: &mut Model, i: usize) -> &mut [Marginal] {
    match &mut model.indicators[i].process {
        Process::Level { growth, .. } => growth,
        Process::Rate { change, .. } => change,
        Process::Count { additions, .. } => additions,
        Process::Derived { .. } => &mut [],
    }
}

fn has_spread(m: &Marginal) -> bool {
    !matches!(m, Marginal::Fixed { .. } | Marginal::Poisson { .. })
}

/// The distribution moved by `delta` (a location shift: every quantile moves by `delta`; for
/// counts, the mean moves by `delta`).
pub fn shifted(m: &Marginal, delta: f64) -> Result<Marginal, String> {
    let out = match *m {
        Marginal::Normal { mean, sd } => Marginal::Normal { mean: mean + delta, sd },
        Marginal::StudentT { location, scale, df } => Marginal::StudentT { location: location + delta, scale, df },
        Marginal::Triangular { min, mode, max } => {
            Marginal::Triangular { min: min + delta, mode: mode + delta, max: max + delta }
        }
        Marginal::Pert { min, mode, max } => Marginal::Pert { min: min + delta, mode: mode + delta, max: max + delta },
        Marginal::Uniform { min, max } => Marginal::Uniform { min: min + delta, max: max + delta },
        Marginal::SplitNormal { mode, sd_low, sd_high } => {
            Marginal::SplitNormal { mode: mode + delta, sd_low, sd_high }
        }
        Marginal::Fixed { value } => Marginal::Fixed { value: value + delta },
        Marginal::Poisson { mean } => Marginal::Poisson { mean: mean + delta },
        Marginal::NegativeBinomial { mean, dispersion } => {
            Marginal::NegativeBinomial { mean: mean + delta, dispersion }
        }
    };
    out.validate()?;
    Ok(out)
}

/// The distribution with its spread around its centre multiplied by `factor` (for the
/// negative binomial, the variance beyond Poisson is multiplied by factor²).
pub fn scaled(m: &Marginal, factor: f64) -> Marginal {
    match *m {
        Marginal::Normal { mean, sd } => Marginal::Normal { mean, sd: sd * factor },
        Marginal::StudentT { location, scale, df } => Marginal::StudentT { location, scale: scale * factor, df },
        Marginal::Triangular { min, mode, max } => {
            Marginal::Triangular { min: mode - factor * (mode - min), mode, max: mode + factor * (max - mode) }
        }
        Marginal::Pert { min, mode, max } => {
            Marginal::Pert { min: mode - factor * (mode - min), mode, max: mode + factor * (max - mode) }
        }
        Marginal::Uniform { min, max } => {
            let centre = 0.5 * (min + max);
            Marginal::Uniform { min: centre - factor * (centre - min), max: centre + factor * (max - centre) }
        }
        Marginal::SplitNormal { mode, sd_low, sd_high } => {
            Marginal::SplitNormal { mode, sd_low: sd_low * factor, sd_high: sd_high * factor }
        }
        Marginal::NegativeBinomial { mean, dispersion } => {
            Marginal::NegativeBinomial { mean, dispersion: dispersion / (factor * factor) }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_move_every_quantile_and_scales_keep_the_centre() {
        let shapes = [
            Marginal::Normal { mean: 5.0, sd: 2.0 },
            Marginal::StudentT { location: 5.0, scale: 1.0, df: 4.0 },
            Marginal::Triangular { min: 1.0, mode: 5.0, max: 7.0 },
            Marginal::Pert { min: 1.0, mode: 5.0, max: 7.0 },
            Marginal::Uniform { min: 1.0, max: 7.0 },
            Marginal::SplitNormal { mode: 5.0, sd_low: 2.0, sd_high: 1.0 },
        ];
        for m in shapes {
            let s = shifted(&m, 0.7).unwrap();
            for z in [-2.0, -0.5, 0.0, 1.3] {
                let moved = s.from_standard_normal(z) - m.from_standard_normal(z);
                assert!((moved - 0.7).abs() < 1e-9, "{m:?} at z={z}: moved {moved}");
            }
            let wide = scaled(&m, 2.0);
            assert!((wide.sd() / m.sd() - 2.0).abs() < 1e-6, "{m:?}: {} vs {}", wide.sd(), m.sd());
        }
        assert!(shifted(&Marginal::Poisson { mean: 1.0 }, -2.0).is_err());
    }
}
