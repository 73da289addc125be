//! Command-line definitions: what the user typed, before any of it is checked against a scenario.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "feasim",
    version,
    about = "How likely is each numeric target of a plan to be met? Monte Carlo feasibility of plan targets."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario: probability of every target, tables, summary.json, targets.csv and charts
    Run(RunArgs),
    /// Validate a scenario file without simulating
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The scenario file (TOML)
    pub scenario: PathBuf,
    /// Use the nearest valid correlation matrix when the given correlations contradict each other
    #[arg(long)]
    pub repair_correlations: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Number of Monte Carlo paths [default: the scenario's `paths`]
    #[arg(long, short = 'n')]
    pub paths: Option<u64>,
    /// Random seed [default: the scenario's `seed`]
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]; results are identical for any number
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Output folder [default: a folder named after the scenario]
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// No progress bar and no table; only errors
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Skip the charts (faster; summary.json and targets.csv are still written)
    #[arg(long)]
    pub no_charts: bool,
    /// Language of labels in the table and charts
    #[arg(long, value_enum, default_value_t = Lang::Auto)]
    pub lang: Lang,
    /// Font file (TTF/TTC with Chinese glyphs) for the charts [default: FEASIM_FONT or a system CJK font]
    #[arg(long)]
    pub font: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Chinese where a Chinese font is available, English otherwise
    Auto,
    Zh,
    En,
}
