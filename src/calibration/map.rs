//! The mapping file of `feasim fit`: which history series feed which scenario indicator.
//!
//! ```toml
//! [fit]
//! scenario = "liaoning-2022-2024.toml"   # optional, relative to this file
//! last_year = 2021                        # optional; default: the scenario's base year
//!
//! [[series]]
//! indicator = "liaoning.gdp_real"         # the scenario indicator fitted
//! growth = [{ indicator = "GDP_real_growth", region = "辽宁省" }]   # reported growth, %, in priority order
//! level = { indicator = "GDP", region = "辽宁省" }                  # levels; growth from consecutive years
//! new_basis_from = [2019]                 # levels from 2019 on are not comparable with earlier ones
//! exclude = [{ year = 2016, reason = "statistical correction" }]
//! ```
//!
//! Types here mirror the file (serde, `deny_unknown_fields`, every value a [`Loc`]), like
//! `scenario::raw`; [`crate::calibration::fit`] checks them against the history and scenario.

use std::path::Path;

use serde::Deserialize;

use crate::scenario::diagnostic::{Diagnostic, LoadError, Sources};
use crate::scenario::raw::{FileId, Loc, LocStr, with_current_file};

/// The whole mapping file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawMap {
    pub fit: Option<Loc<RawFitMeta>>,
    #[serde(default)]
    pub series: Vec<Loc<RawSeries>>,
}

/// The `[fit]` table.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFitMeta {
    pub scenario: Option<LocStr>,
    pub last_year: Option<Loc<i64>>,
    pub first_year: Option<Loc<i64>>,
}

/// One `[[series]]`: the history behind one scenario indicator.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSeries {
    pub indicator: LocStr,
    /// `"growth"` (percent), `"log_growth"` (log points) or `"change"` (first differences, for
    /// rates); default from the scenario indicator (level: growth or log points by its
    /// compounding; rate: change), or growth without a scenario.
    pub measure: Option<LocStr>,
    #[serde(default)]
    pub growth: Vec<Loc<RawSeriesRef>>,
    pub level: Option<Loc<RawSeriesRef>>,
    #[serde(default)]
    pub new_basis_from: Vec<Loc<i64>>,
    #[serde(default)]
    pub exclude: Vec<Loc<RawExclude>>,
    /// Pull this indicator's mean toward another fitted indicator's (a city toward its province).
    pub shrink: Option<Loc<RawShrink>>,
    pub note: Option<LocStr>,
}

/// `shrink = { toward = "liaoning.gdp_real", sd = 1.0, offset = 0.5 }`: the prior for this
/// indicator's mean is normal around the other's fitted mean plus `offset`, with spread `sd`
/// (how far the two means can plausibly differ, in the measure's unit) plus the other's SE.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawShrink {
    pub toward: LocStr,
    pub sd: Loc<f64>,
    pub offset: Option<Loc<f64>>,
}

/// A series of the history table: its `indicator` and `region` columns.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSeriesRef {
    pub indicator: LocStr,
    pub region: LocStr,
}

/// A year left out of the fit, with the reason (shown in every output).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawExclude {
    pub year: Loc<i64>,
    pub reason: LocStr,
}

/// Read and parse a map file into `sources` (the file is added to them).
pub fn read(path: &Path, sources: &mut Sources) -> Result<(RawMap, FileId), LoadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            let file = sources.add(path, String::new());
            let d = Diagnostic::new(file, 0..0, format!("cannot read the map {}: {e}", path.display()))
                .help("--map names a TOML file of [[series]] entries; see docs/calibration.md");
            return Err(LoadError { diagnostics: vec![d], sources: sources.clone() });
        }
    };
    let file = sources.add(path, text);
    parse(sources, file).map(|m| (m, file))
}

/// Parse the map held in `sources` under `file`.
pub fn parse(sources: &Sources, file: FileId) -> Result<RawMap, LoadError> {
    let text = sources.text(file);
    let map = with_current_file(file, || toml::from_str::<RawMap>(text)).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim_end_matches('\n').to_string();
        let help = if message.contains("unknown field") {
            "check the spelling; docs/calibration.md lists every field of the map"
        } else {
            "see docs/calibration.md for the map format"
        };
        LoadError { diagnostics: vec![Diagnostic::new(file, span, message).help(help)], sources: sources.clone() }
    })?;
    if map.series.is_empty() {
        let d = Diagnostic::new(file, 0..0, "the map has no [[series]]")
            .help("add one [[series]] per scenario indicator to fit, e.g. indicator = \"liaoning.gdp_real\" with growth = [{ indicator = \"GDP_real_growth\", region = \"辽宁省\" }]");
        return Err(LoadError { diagnostics: vec![d], sources: sources.clone() });
    }
    Ok(map)
}
