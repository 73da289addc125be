//! Charts of a run, drawn from its [`Summary`] alone (never from the model), so the same charts
//! can be redrawn later from a saved `summary.json`.
//!
//! [`write_charts`] writes, as PNG and SVG:
//! - `probability`: P(hit) of every target with its 95% interval, sorted, coloured by region
//!   ([`probability`]);
//! - `targets_hit`: the distribution of the number of targets hit on a path ([`hits`]);
//! - `fan/<indicator>`: each indicator's simulated fan with the levels its targets require ([`fan`]);
//! - `histogram/<target>`: each target's tested quantity split at the threshold ([`histogram`]).
//!
//! **Invariant:** every chart is written to a temporary file and renamed into place, so a chart
//! on disk is always complete. Fonts are looked up and checked by [`font`] (Chinese labels need a
//! font with Chinese glyphs; there is no per-glyph fallback); shared styling lives in [`theme`],
//! and all text is placed by [`canvas`].

mod analysis_style;
mod calibration;
mod canvas;
mod compare;
mod curve;
mod fan;
mod font;
mod heatmap;
mod histogram;
mod hits;
mod probability;
mod raster;
mod render;
mod separation;
mod sfnt;
mod sobol;
mod theme;
mod tornado;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::summary::Summary;
pub use font::{FONT_ENV, INSTALL_HINT, check_font_file};

/// Language of chart labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// Chinese when a font with Chinese glyphs is found, English otherwise.
    #[default]
    Auto,
    Chinese,
    English,
}

/// How charts are drawn.
#[derive(Debug, Clone, Default)]
pub struct ChartOptions {
    pub language: Language,
    /// Font file to use; otherwise `FEASIM_FONT`, then well-known system fonts.
    pub font_path: Option<PathBuf>,
    /// The bands of the fan charts.
    pub fan_bands: FanBands,
}

/// The bands of paths a fan chart shades around the median.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FanBands {
    /// 25–75% and 5–95% of paths.
    #[default]
    Quartiles,
    /// The central 30%, 60% and 90% of paths (35–65%, 20–80%, 5–95%), as the Bank of England
    /// draws its fan charts.
    Boe,
}

/// What [`write_charts`] did.
#[derive(Debug, Clone)]
pub struct ChartReport {
    /// Every file written, PNG and SVG.
    pub files: Vec<PathBuf>,
    /// The label language used (never `Auto`).
    pub language_used: Language,
    /// Path of the font the charts were drawn with.
    pub font: Option<String>,
    /// Things the user should know, e.g. that labels fell back to English.
    pub warnings: Vec<String>,
}

/// Writes every chart as PNG and SVG into `dir` (created if missing). Each file is written to a
/// temporary file in the same directory and renamed into place, so a crash never leaves a
/// half-written chart.
pub fn write_charts(summary: &Summary, dir: &Path, options: &ChartOptions) -> anyhow::Result<ChartReport> {
    draw_into(dir, options, |theme| {
        // English charts name the scenario and its regions as `title_en` and `[regions]` do.
        let english = (!theme.zh()).then(|| summary.with_english_names());
        let summary = english.as_ref().unwrap_or(summary);
        let mut files = render::write(dir, "probability", &probability::ProbabilityChart::new(theme, summary), theme)?;
        files.extend(render::write(dir, "targets_hit", &hits::HitsChart::new(theme, summary), theme)?);
        if !summary.indicators.is_empty() {
            files.extend(write_each(
                &dir.join("fan"),
                &summary.indicators,
                |i| &i.id,
                theme,
                |i| fan::FanChart::new(theme, summary, i, options.fan_bands),
            )?);
        }
        if !summary.targets.is_empty() {
            files.extend(write_each(
                &dir.join("histogram"),
                &summary.targets,
                |t| &t.id,
                theme,
                |t| histogram::HistogramChart::new(theme, summary, t),
            )?);
        }
        Ok(files)
    })
}

/// Charts of `feasim sensitivity`: `heatmap` (the most influential assumptions × targets) and
/// `tornado/<target>` (the ten biggest movers of each target), as PNG and SVG.
pub fn write_sensitivity_charts(
    report: &crate::analysis::sensitivity::SensitivityReport,
    dir: &Path,
    options: &ChartOptions,
) -> anyhow::Result<ChartReport> {
    draw_into(dir, options, |theme| {
        let mut files = render::write(dir, "heatmap", &heatmap::HeatmapChart::new(theme, report), theme)?;
        files.extend(write_each(
            &dir.join("tornado"),
            &report.targets,
            |t| &t.id,
            theme,
            |t| tornado::TornadoChart::new(theme, report, t),
        )?);
        Ok(files)
    })
}

/// Charts of `feasim sweep`: `<parameter>/<target>`, the feasibility curve with its interval band.
pub fn write_sweep_charts(
    report: &crate::analysis::sweep::SweepReport,
    dir: &Path,
    options: &ChartOptions,
) -> anyhow::Result<ChartReport> {
    draw_into(dir, options, |theme| {
        let mut files = Vec::new();
        let mut folders = FileNames::default();
        for sweep in &report.sweeps {
            let sub = dir.join(folders.unique(&sweep.param));
            files.extend(write_each(
                &sub,
                &sweep.curves,
                |c| &c.target,
                theme,
                |c| curve::CurveChart::new(theme, report, sweep, c),
            )?);
        }
        Ok(files)
    })
}

/// The chart of `feasim solve`: `solve`, the curve traced by the search with the answers marked.
pub fn write_solve_chart(
    report: &crate::analysis::solve::SolveReport,
    dir: &Path,
    options: &ChartOptions,
) -> anyhow::Result<ChartReport> {
    draw_into(dir, options, |theme| render::write(dir, "solve", &curve::CurveChart::for_solve(theme, report), theme))
}

/// The chart of `feasim compare`: `compare`, every target's probability in each scenario.
pub fn write_compare_chart(
    report: &crate::analysis::compare::CompareReport,
    dir: &Path,
    options: &ChartOptions,
) -> anyhow::Result<ChartReport> {
    draw_into(dir, options, |theme| render::write(dir, "compare", &compare::CompareChart::new(theme, report), theme))
}

/// Writes two Sobol' charts per target into `dir`: `sobol/<target>.png|svg` (the top groups by
/// total effect on the tested quantity) and `sobol_hit/<target>.png|svg` (the same for the hit
/// indicator: what decides hit or miss); see [`crate::analysis::sobol`].
pub fn write_sobol_charts(
    result: &crate::analysis::sobol::SobolResult,
    dir: &Path,
    options: &ChartOptions,
) -> anyhow::Result<ChartReport> {
    draw_into(dir, options, |theme| {
        let mut files = write_each(
            &dir.join("sobol"),
            &result.targets,
            |t| &t.id,
            theme,
            |t| sobol::SobolChart::new(theme, result, t, sobol::Quantity::Metric),
        )?;
        files.extend(write_each(
            &dir.join("sobol_hit"),
            &result.targets,
            |t| &t.id,
            theme,
            |t| sobol::SobolChart::new(theme, result, t, sobol::Quantity::Hit),
        )?);
        Ok(files)
    })
}

/// Writes one chart per target of what separates hits from misses
/// (`separation/<target>.png|svg`) into `dir`; see [`crate::analysis::separation`].
pub fn write_separation_charts(
    result: &crate::analysis::separation::SeparationResult,
    dir: &Path,
    options: &ChartOptions,
) -> anyhow::Result<ChartReport> {
    draw_into(dir, options, |theme| {
        write_each(
            &dir.join("separation"),
            &result.targets,
            |t| &t.id,
            theme,
            |t| separation::SeparationChart::new(theme, result, t),
        )
    })
}

/// Charts of `feasim score`: `reliability` (forecast probability against observed frequency)
/// and `pit` (histogram of the outcomes' percentiles in their forecasts), as PNG and SVG.
pub fn write_score_charts(
    report: &crate::calibration::score::ScoreReport,
    dir: &Path,
    options: &ChartOptions,
) -> anyhow::Result<ChartReport> {
    draw_into(dir, options, |theme| {
        let mut files = render::write(dir, "reliability", &calibration::ReliabilityChart::new(theme, report), theme)?;
        files.extend(render::write(dir, "pit", &calibration::PitChart::new(theme, report), theme)?);
        Ok(files)
    })
}

/// Choose the font (an error when none can be had), create `dir`, draw with `draw`, and report
/// the files written, the language used and any warnings.
fn draw_into(
    dir: &Path,
    options: &ChartOptions,
    draw: impl FnOnce(&theme::Theme) -> anyhow::Result<Vec<PathBuf>>,
) -> anyhow::Result<ChartReport> {
    let choice = font::choose(options.language, options.font_path.as_deref())?;
    let mut theme =
        theme::Theme { font: choice.font, language: choice.language, files: Some(crate::report::Batch::default()) };
    create_dir(dir)?;
    let files = draw(&theme)?;
    // Every file is flushed to disk and put in place together (see `report::Batch`).
    theme.files.take().map_or(Ok(()), crate::report::Batch::finish)?;
    Ok(ChartReport {
        files,
        language_used: choice.language,
        font: Some(choice.font.path.display().to_string()),
        warnings: choice.warnings,
    })
}

/// One chart per item into `dir` (created), each named after the item's id, made unique.
///
/// The names are given in item order first; then the charts, which share nothing but the
/// read-only summary and theme, are drawn, encoded and written in parallel (a run writes over
/// a hundred PNGs, whose encoding was a second of a flagship run). Every file gets the bytes a
/// sequential write gives it; the list comes back in item order, and the first error in that
/// order is the one reported.
fn write_each<'a, T: Sync + 'a, C: render::Chart>(
    dir: &Path,
    items: impl IntoIterator<Item = &'a T>,
    id: impl Fn(&T) -> &str,
    theme: &theme::Theme,
    chart: impl Fn(&'a T) -> C + Sync,
) -> anyhow::Result<Vec<PathBuf>> {
    use rayon::prelude::*;
    create_dir(dir)?;
    let mut names = FileNames::default();
    let named: Vec<(&'a T, String)> = items.into_iter().map(|item| (item, names.unique(id(item)))).collect();
    let written: Vec<anyhow::Result<Vec<PathBuf>>> =
        named.par_iter().map(|(item, name)| render::write(dir, name, &chart(item), theme)).collect();
    let mut files = Vec::new();
    for chart_files in written {
        files.extend(chart_files?);
    }
    Ok(files)
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create chart directory {}", dir.display()))
}

/// A file name for an id: characters outside `[A-Za-z0-9._-]` become `_`; a name that is empty,
/// only dots, or starts with a dot is prefixed with `_`.
pub fn sanitize_file_name(id: &str) -> String {
    let name: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if name.is_empty() || name.starts_with('.') { format!("_{name}") } else { name }
}

/// Sanitised file names made unique within one directory (`a_b`, `a_b-2`, ...).
#[derive(Default)]
struct FileNames {
    used: HashSet<String>,
}

impl FileNames {
    fn unique(&mut self, id: &str) -> String {
        let base = sanitize_file_name(id);
        let mut name = base.clone();
        let mut k = 2;
        while !self.used.insert(name.to_lowercase()) {
            name = format!("{base}-{k}");
            k += 1;
        }
        name
    }
}

#[cfg(test)]
mod analysis_tests;
#[cfg(test)]
mod tests;
