//! Serde types that mirror the scenario file exactly, every value tagged with where it came from.
//!
//! Nothing here is validated beyond TOML syntax and field names (`deny_unknown_fields`): the
//! cross-checks live in `model::build`, which turns these into the engine's model. Every value is a
//! [`Loc`] so that a semantic error can point at the file, line and column it came from — also
//! after a variant file has been merged onto its base (see `scenario::merge`).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Deserializer};

/// Index of a source file in [`super::diagnostic::Sources`].
pub type FileId = usize;

thread_local! {
    /// The file being deserialized on this thread, stamped into every [`Loc`].
    static CURRENT_FILE: Cell<FileId> = const { Cell::new(0) };
}

/// Run `f` with `file` as the file stamped into every [`Loc`] it deserializes.
pub(crate) fn with_current_file<T>(file: FileId, f: impl FnOnce() -> T) -> T {
    let previous = CURRENT_FILE.with(|c| c.replace(file));
    let result = f();
    CURRENT_FILE.with(|c| c.set(previous));
    result
}

/// A value with the file and byte range it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Loc<T> {
    pub value: T,
    pub span: Range<usize>,
    pub file: FileId,
}

impl<T> Loc<T> {
    pub fn new(value: T, span: Range<usize>, file: FileId) -> Self {
        Loc { value, span, file }
    }

    /// The same location holding another value.
    pub fn with<U>(&self, value: U) -> Loc<U> {
        Loc { value, span: self.span.clone(), file: self.file }
    }
}

impl<T: Default> Default for Loc<T> {
    fn default() -> Self {
        Loc { value: T::default(), span: 0..0, file: 0 }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Loc<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<T>::deserialize(deserializer)?;
        let span = spanned.span();
        Ok(Loc { value: spanned.into_inner(), span, file: CURRENT_FILE.with(|c| c.get()) })
    }
}

pub type LocStr = Loc<String>;
pub type LocList = Loc<Vec<LocStr>>;

/// One scenario file as written.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub extends: Option<LocStr>,
    pub scenario: Option<Loc<RawMeta>>,
    #[serde(default)]
    pub groups: BTreeMap<String, LocList>,
    #[serde(default)]
    pub indicator: Vec<Loc<RawIndicator>>,
    #[serde(default)]
    pub correlation: Vec<Loc<RawCorrelation>>,
    #[serde(default)]
    pub target: Vec<Loc<RawTarget>>,
    #[serde(default)]
    pub not_modelled: Vec<Loc<RawNotModelled>>,
    /// `[regions]`: labels of region names, `"一圈" = { en = "Shenyang metropolitan circle" }`.
    #[serde(default)]
    pub regions: BTreeMap<String, Loc<RawRegion>>,
}

/// One entry of `[regions]`: how a region (named in Chinese in targets and indicators) is
/// called in English output.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    pub en: Option<LocStr>,
}

/// The `[scenario]` table.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    pub name: Option<LocStr>,
    pub title: Option<LocStr>,
    pub title_en: Option<LocStr>,
    pub base_year: Option<Loc<i64>>,
    pub end_year: Option<Loc<i64>>,
    pub paths: Option<Loc<i64>>,
    pub seed: Option<Loc<i64>>,
    pub notes: Option<LocStr>,
    pub repair_correlations: Option<Loc<bool>>,
}

/// A probability distribution as written: `{ dist = "normal", mean = 5, sd = 1 }`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawDist {
    pub dist: Option<LocStr>,
    pub mean: Option<Loc<f64>>,
    pub sd: Option<Loc<f64>>,
    pub df: Option<Loc<f64>>,
    pub min: Option<Loc<f64>>,
    pub mode: Option<Loc<f64>>,
    pub max: Option<Loc<f64>>,
    pub skew: Option<Loc<f64>>,
    pub sd_low: Option<Loc<f64>>,
    pub sd_high: Option<Loc<f64>>,
    pub value: Option<Loc<f64>>,
    pub dispersion: Option<Loc<f64>>,
}

pub type ByYear = Loc<BTreeMap<String, Loc<RawDist>>>;

/// One `[[indicator]]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawIndicator {
    pub id: LocStr,
    pub label_zh: Option<LocStr>,
    pub label_en: Option<LocStr>,
    pub unit: Option<LocStr>,
    pub region: Option<LocStr>,
    pub kind: Option<LocStr>,
    pub base: Option<Loc<f64>>,
    pub source: Option<LocStr>,
    pub base_dist: Option<Loc<RawDist>>,
    pub assumption: Option<LocStr>,
    pub growth: Option<Loc<RawDist>>,
    pub growth_by_year: Option<ByYear>,
    pub change: Option<Loc<RawDist>>,
    pub change_by_year: Option<ByYear>,
    pub additions: Option<Loc<RawDist>>,
    pub additions_by_year: Option<ByYear>,
    pub persistence: Option<Loc<f64>>,
    pub compounding: Option<LocStr>,
    pub bounds: Option<Loc<Vec<f64>>>,
    pub expr: Option<LocStr>,
    pub note: Option<LocStr>,
    pub history: Option<Loc<RawHistory>>,
    /// An ordered class scale, best first (`["Ⅰ", "Ⅱ", "Ⅲ"]`): the indicator's value is the
    /// class number (1 = the first), and thresholds may name a class.
    pub classes: Option<LocList>,
}

/// An indicator's `history = { source = "...", values = { 2017 = 5865.0, 2018 = 6292.4 } }`:
/// published values up to the base year, drawn before the fan (checked in `model::build`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawHistory {
    pub source: Option<LocStr>,
    pub values: Option<Loc<BTreeMap<String, Loc<f64>>>>,
}

/// One `[[correlation]]`: a pair (`between`) or a group with one common `rho`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    pub between: Option<LocList>,
    pub group: Option<LocList>,
    pub rho: Option<Loc<f64>>,
}

/// The metric part of a target, also used alone in `versus = { ... }`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawMetric {
    pub metric: Option<LocStr>,
    pub indicator: Option<LocStr>,
    pub year: Option<Loc<i64>>,
    pub from: Option<Loc<i64>>,
    pub to: Option<Loc<i64>>,
    pub numerator: Option<LocStr>,
    pub denominator: Option<LocStr>,
    pub competitors: Option<LocList>,
}

/// One `[[target]]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    pub id: LocStr,
    pub label_zh: Option<LocStr>,
    pub label_en: Option<LocStr>,
    pub section: Option<LocStr>,
    pub region: Option<LocStr>,
    pub wording: Option<LocStr>,
    pub note: Option<LocStr>,
    pub unit: Option<LocStr>,
    pub metric: Option<LocStr>,
    pub indicator: Option<LocStr>,
    pub year: Option<Loc<i64>>,
    pub from: Option<Loc<i64>>,
    pub to: Option<Loc<i64>>,
    pub numerator: Option<LocStr>,
    pub denominator: Option<LocStr>,
    pub competitors: Option<LocList>,
    pub versus: Option<Loc<RawMetric>>,
    pub comparator: Option<LocStr>,
    pub threshold: Option<Loc<RawThreshold>>,
    /// The half-width of an `about` test, in the unit of the tested quantity.
    pub tolerance: Option<Loc<f64>>,
    /// A joint target: every condition must hold on the same path.
    pub all: Option<Loc<Vec<Loc<RawCondition>>>>,
}

/// One condition of a joint target (`all = [ { metric = ..., comparator = ..., threshold = ... } ]`):
/// the metric fields, `versus`, and the test.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    pub metric: Option<LocStr>,
    pub indicator: Option<LocStr>,
    pub year: Option<Loc<i64>>,
    pub from: Option<Loc<i64>>,
    pub to: Option<Loc<i64>>,
    pub numerator: Option<LocStr>,
    pub denominator: Option<LocStr>,
    pub competitors: Option<LocList>,
    pub versus: Option<Loc<RawMetric>>,
    pub comparator: Option<LocStr>,
    pub threshold: Option<Loc<RawThreshold>>,
    pub tolerance: Option<Loc<f64>>,
}

impl RawCondition {
    /// The metric fields of this condition as a [`RawMetric`].
    pub fn metric_part(&self) -> RawMetric {
        RawMetric {
            metric: self.metric.clone(),
            indicator: self.indicator.clone(),
            year: self.year.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            numerator: self.numerator.clone(),
            denominator: self.denominator.clone(),
            competitors: self.competitors.clone(),
        }
    }
}

impl RawTarget {
    /// The metric fields of this target as a [`RawMetric`].
    pub fn metric_part(&self) -> RawMetric {
        RawMetric {
            metric: self.metric.clone(),
            indicator: self.indicator.clone(),
            year: self.year.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            numerator: self.numerator.clone(),
            denominator: self.denominator.clone(),
            competitors: self.competitors.clone(),
        }
    }
}

/// A threshold as written: a plain number (in the unit of the tested quantity), or text with a
/// number and a unit (`"2.5 万亿元"`), converted by `model::build` through [`crate::units`].
#[derive(Debug, Clone, PartialEq)]
pub enum RawThreshold {
    Number(f64),
    Text(String),
    /// `[low, high]` of a `between` test.
    Pair(Vec<RawThreshold>),
}

impl<'de> Deserialize<'de> for RawThreshold {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'a> serde::de::Visitor<'a> for Visitor {
            type Value = RawThreshold;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, a number and a unit in quotes such as \"2.5 万亿元\", or [low, high]")
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawThreshold, E> {
                Ok(RawThreshold::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<RawThreshold, E> {
                Ok(RawThreshold::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawThreshold, E> {
                Ok(RawThreshold::Number(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawThreshold, E> {
                Ok(RawThreshold::Text(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'a>>(self, mut seq: A) -> Result<RawThreshold, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<RawThreshold>()? {
                    items.push(item);
                }
                Ok(RawThreshold::Pair(items))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One `[[not_modelled]]`: a target deliberately left out, with the reason.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawNotModelled {
    pub id: LocStr,
    pub reason: Option<LocStr>,
    pub label_zh: Option<LocStr>,
    pub label_en: Option<LocStr>,
}
