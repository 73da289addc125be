//! Command-line definitions: what the user typed, before any of it is checked against a scenario.

use std::path::PathBuf;

use clap::builder::RangedU64ValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Most worker threads accepted (`--threads`): more than any machine this runs on has cores.
pub const MAX_THREADS: u64 = 1024;
/// `--font PATH`, checked before any work: an existing regular file of a font's size.
fn font_path(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    feasim::plot::check_font_file(&path).map_err(|e| format!("{e:#}"))?;
    Ok(path)
}

/// Most grid values of one swept parameter (`--steps`).
pub const MAX_STEPS: u64 = 1000;

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
    /// Simulate a scenario and write report.html: the run, the sensitivity analysis and sweeps of each
    /// target's strongest drivers on common random numbers, in one self-contained page
    #[command(after_help = REPORT_HELP)]
    Report(RunArgs),
    /// Validate a scenario file without simulating
    Check(CheckArgs),
    /// Move every assumption down and up; the change in every target's probability (paired 95% CI)
    #[command(after_help = "--paths defaults to the scenario's paths, capped at 2000: every parameter adds two \
simulations of each path, and paired differences are already precise at a few thousand paths.\n\
Default shifts: growth means ±1 pp (--shift-mean), rate changes ±0.5 pp/yr, count additions ±20%, spreads ÷/×1.5, \
an uncertain base ± its standard deviation, a published base ±1%, persistence and correlations ±0.2.")]
    Sensitivity(SensitivityArgs),
    /// Feasibility curves: P(hit) of each affected target over a grid of values of one or more assumptions
    #[command(after_help = SWEEP_HELP)]
    Sweep(SweepArgs),
    /// The value of an assumption at which a target is hit with a given probability
    Solve(SolveArgs),
    /// Scenarios side by side (the first is the baseline), with paired differences
    Compare(CompareArgs),
    /// Variance-based sensitivity: first-order and total Sobol indices of every target by input group
    #[command(after_help = "--paths is N, the number of base samples of the Saltelli design [default: 1024]; \
the model is evaluated N·(groups + 2) times.")]
    Sobol(SobolArgs),
    /// What separates the paths that hit each target from those that miss it
    Separate(SeparateArgs),
    /// Fit growth assumptions from an annual history: a TOML fragment to paste into a scenario
    #[command(after_help = "See docs/calibration.md for the history format, the map file and the method.")]
    Fit(FitArgs),
    /// Score a scenario's forecasts against realised outcomes: Brier, log score, PIT, reliability
    #[command(after_help = "See docs/calibration.md for the outcome format and how to read the scores.")]
    Score(ScoreArgs),
    /// Merge the partial results of `feasim run --shard I/N` (or `feasim sweep --shard I/N`) into the outputs of the whole run
    #[command(after_help = MERGE_HELP)]
    Merge(MergeArgs),
    /// Draft a target catalogue (CSV) from a plan's text: every quantitative target with its sentence
    #[command(after_help = "See docs/walkthrough.md: from a plan's text to a running scenario.")]
    Extract(ExtractArgs),
    /// Write a scenario skeleton (TOML) from a target catalogue, with \"TODO\" where numbers are still needed
    #[command(after_help = "See docs/walkthrough.md: from a plan's text to a running scenario.")]
    Init(InitArgs),
}

impl Command {
    /// The worker threads the command was asked to use (`--threads`), if it simulates.
    pub fn threads(&self) -> Option<usize> {
        match self {
            Command::Run(a) | Command::Report(a) => a.sim.threads,
            Command::Sensitivity(a) => a.sim.threads,
            Command::Sweep(a) => a.sim.threads,
            Command::Solve(a) => a.sim.threads,
            Command::Compare(a) => a.sim.threads,
            Command::Sobol(a) => a.sim.threads,
            Command::Separate(a) => a.sim.threads,
            Command::Score(a) => a.sim.threads,
            Command::Check(_) | Command::Fit(_) | Command::Merge(_) | Command::Extract(_) | Command::Init(_) => None,
        }
    }
}

const SWEEP_HELP: &str = "Parameters are named <indicator>:mean, :spread, :base, :persistence or <a>~<b>:rho.
Each --param is swept on its own (the others stay as written), all on the same paths.
Its range is, in order of preference: `--param ID=A:B`, --from/--to, the parameter's default range
(growth mean ±1 pp, rate change ±0.5 pp, count additions ±20%, spread ÷/×1.5, base ± its sd or ±1%,
persistence and correlation ±0.2).

Examples:
  feasim sweep s.toml --param shenyang.gdp_real:mean --from 4 --to 6 --steps 21
  feasim sweep s.toml --param shenyang.gdp_real:mean=4:6 --param shenyang.deflator:spread=0.5:2";

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
    #[command(flatten)]
    pub sim: SimArgs,
    /// Simulate only shard I of N (0 ≤ I < N) of the paths and write OUT/shard-I-of-N.json, a partial
    /// result for `feasim merge` (see docs/cluster.md)
    #[arg(long, value_name = "I/N")]
    pub shard: Option<feasim::shard::ShardId>,
    /// Simulate until every target's 95% interval is at most ±E (a probability, e.g. 0.005, or
    /// a percentage, e.g. 0.5%), in deterministic batches; the result equals a run with the
    /// paths it reports
    #[arg(long, value_name = "E")]
    pub precision: Option<String>,
    /// Most paths a --precision run may use
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=feasim::engine::MAX_PATHS))]
    pub max_paths: u64,
    /// Variance reduction: independent paths, antithetic pairs, Latin hypercube blocks of 1024, or
    /// scrambled Sobol' points (randomised quasi-Monte Carlo)
    #[arg(long, value_enum, default_value_t = SamplingArg::Independent)]
    pub sampling: SamplingArg,
    /// Also write report.xlsx: an Excel workbook of targets, indicator quantiles by year,
    /// assumptions and the run (see docs/workbook.md)
    #[arg(long)]
    pub xlsx: bool,
    /// Also write report.html (what `feasim report` writes)
    #[arg(long)]
    pub report: bool,
    #[command(flatten)]
    pub report_options: ReportOptions,
}

const REPORT_HELP: &str =
    "report.html is one file (charts, styles and script inside it; it opens offline) in the output folder,
beside summary.json, targets.csv, the charts, sensitivity.json and sweep.json. The sensitivity analysis and
the sweeps use --analysis-paths paths (default: --paths capped at 2000) with the run's seed.

Examples:
  feasim report scenarios/liaoning-2022-2024.toml --threads 2
  feasim run scenarios/tutorial.toml --report --lang en --analysis-paths 5000";

/// What `feasim report` (and `run --report`) adds to a run.
#[derive(Debug, Args)]
pub struct ReportOptions {
    /// Paths of the sensitivity analysis and the sweeps [default: --paths capped at 2000]
    #[arg(long, value_name = "N")]
    pub analysis_paths: Option<u64>,
    /// Drivers per target shown (tornado rows and what-if sliders) and swept
    #[arg(long, default_value_t = 3)]
    pub top: usize,
    /// Grid values of each swept driver (both ends of its default range included)
    #[arg(long, default_value_t = 11)]
    pub steps: usize,
    /// Only the run in report.html: no sensitivity analysis, no sweeps
    #[arg(long)]
    pub no_analyses: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplingArg {
    Independent,
    Antithetic,
    /// Latin hypercube sampling of every shock and base draw, in blocks of 1024 paths
    Lhs,
    /// Randomised quasi-Monte Carlo: Owen-scrambled Sobol' points in at least 32 independently
    /// scrambled replicates (of up to 1024 paths), intervals from their spread
    Sobol,
}

/// What every simulating command shares: paths, seed, threads and outputs.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Number of Monte Carlo paths [default: the scenario's `paths`]
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u64).range(1..=feasim::engine::MAX_PATHS))]
    pub paths: Option<u64>,
    /// Random seed [default: the scenario's `seed`]
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]; results are identical for any number
    #[arg(long, short = 't', value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_THREADS))]
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
    #[arg(long, value_parser = font_path)]
    pub font: Option<PathBuf>,
    /// Bands of the fan charts: 50% and 90% of paths, or 30%, 60% and 90% (Bank of England style)
    #[arg(long, value_enum, default_value_t = FanBandsArg::Quartiles)]
    pub fan_bands: FanBandsArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FanBandsArg {
    /// 25–75% and 5–95% of paths
    Quartiles,
    /// 35–65%, 20–80% and 5–95% of paths (the central 30%, 60% and 90%)
    Boe,
}

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Only parameters of these kinds (comma-separated: mean, spread, base, persistence, rho)
    #[arg(long, value_delimiter = ',')]
    pub only_kind: Vec<String>,
    /// Shift of the growth mean of levels, in percentage points, tried both ways [default: 1]
    #[arg(long)]
    pub shift_mean: Option<f64>,
    /// Parameters listed per target in the terminal table
    #[arg(long, default_value_t = 5)]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Parameter to sweep, optionally with its own range: ID or ID=FROM:TO (repeatable)
    #[arg(long = "param", required = true, allow_hyphen_values = true)]
    pub params: Vec<String>,
    /// Start of the range for parameters given without one
    #[arg(long, allow_hyphen_values = true)]
    pub from: Option<f64>,
    /// End of the range for parameters given without one
    #[arg(long, allow_hyphen_values = true)]
    pub to: Option<f64>,
    /// Number of equally spaced values, both ends included
    #[arg(long, default_value_t = 11, value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_STEPS))]
    pub steps: usize,
    /// Simulate only shard I of N (0 ≤ I < N) of the paths and write OUT/shard-I-of-N.json, a partial
    /// sweep for `feasim merge` (see docs/cluster.md)
    #[arg(long, value_name = "I/N")]
    pub shard: Option<feasim::shard::ShardId>,
}

#[derive(Debug, Args)]
pub struct SolveArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    #[command(flatten)]
    pub sim: SimArgs,
    /// The target (its id)
    #[arg(long)]
    pub target: String,
    /// The parameter to solve for, e.g. shenyang.gdp_real:mean
    #[arg(long)]
    pub param: String,
    /// Probabilities of hitting the target to solve for (between 0 and 1)
    #[arg(long = "probability", num_args = 1.., default_values_t = [0.5, 0.8, 0.9])]
    pub probabilities: Vec<f64>,
    /// Tolerance on the answer, in the parameter's unit [default: 1e-4 × its default range]
    #[arg(long)]
    pub tolerance: Option<f64>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files (TOML); the first is the baseline, targets are matched by id
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    /// Use the nearest valid correlation matrix when the given correlations contradict each other
    #[arg(long)]
    pub repair_correlations: bool,
    /// Compare scenarios whose base or end years differ (their targets then test other years)
    #[arg(long)]
    pub allow_different_years: bool,
    #[command(flatten)]
    pub sim: SimArgs,
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

#[derive(Debug, Args)]
pub struct SobolArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// `--paths N` is the number of base samples N of the Saltelli design [default: 1024]; the model is
    /// evaluated N·(groups + 2) times, where groups are each indicator's shocks and each uncertain base
    #[command(flatten)]
    pub sim: SimArgs,
    /// Samples A and B as independent paths, or as scrambled Sobol' points (randomised quasi-Monte
    /// Carlo: the first N points of one scrambled Sobol' sequence; the 95% intervals then come from
    /// its 16 or more blocks, not from the bootstrap, and are conservative)
    #[arg(long, value_enum, default_value_t = SamplingArg::Independent)]
    pub sampling: SamplingArg,
    /// Bootstrap resamples for the 95% intervals (independent paths only)
    #[arg(long, default_value_t = 200, value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub bootstrap: usize,
    /// Input groups listed per target in the terminal table
    #[arg(long, default_value_t = 5)]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct SeparateArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Assumptions listed per target in the terminal table
    #[arg(long, default_value_t = 5)]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// History in long format (CSV: indicator,region,year,value[,unit,source,confidence,note])
    pub history: PathBuf,
    /// Map file (TOML): which history series feed which scenario indicator
    #[arg(long)]
    pub map: PathBuf,
    /// Scenario whose indicators are fitted [default: the map's [fit] scenario]
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Where to write the TOML fragment [default: print it]
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Print only errors
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Realised outcomes in long format (CSV: indicator,region,year,value[,...,target])
    pub outcomes: PathBuf,
    #[command(flatten)]
    pub sim: SimArgs,
}

const MERGE_HELP: &str = "The parts must be every shard 0/N … N-1/N of one run: the same scenario file (SHA-256), seed,
number of paths and run settings, each shard once. The outputs (table, summary.json, targets.csv, charts)
are then byte for byte those of `feasim run SCENARIO --paths PATHS --seed SEED`.
Shards of a sweep (`feasim sweep … --shard I/N`) merge the same way, into the sweep's sweep.json,
sweep.csv and charts; they must also agree on every --param range and --steps.

Examples:
  for i in 0 1 2 3; do feasim run s.toml --paths 1000000 --seed 7 --shard $i/4 --out parts & done; wait
  feasim merge parts --out result
  for i in 0 1 2; do feasim sweep s.toml --param a:mean=4:6 --paths 100000 --shard $i/3 --out sweep-parts & done; wait
  feasim merge sweep-parts --out sweep-result";

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Partial results (shard-I-of-N.json files written by `feasim run --shard` or `feasim sweep --shard`), or
    /// folders holding them
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,
    /// The scenario file, when it is no longer at the path the parts recorded (it must be the same file)
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Output folder [default: a folder named after the scenario]
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// No table; only errors
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Skip the charts (faster; summary.json and targets.csv are still written)
    #[arg(long)]
    pub no_charts: bool,
    /// Language of labels in the table and charts
    #[arg(long, value_enum, default_value_t = Lang::Auto)]
    pub lang: Lang,
    /// Font file (TTF/TTC with Chinese glyphs) for the charts [default: FEASIM_FONT or a system CJK font]
    #[arg(long, value_parser = font_path)]
    pub font: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The plan's text (UTF-8, or GB18030/GBK, detected)
    pub plan: PathBuf,
    /// Where to write the catalogue (CSV) [default: print it]
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// An answer key (a catalogue such as seeds/targets.csv): print precision, recall and F1
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Print only errors
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The target catalogue (CSV with the columns of seeds/targets.csv, e.g. written by `feasim extract`)
    pub catalogue: PathBuf,
    /// Where to write the scenario (TOML) [default: print it]
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// The scenario's name (lowercase letters, digits, -, _) [default: from the catalogue's file name]
    #[arg(long)]
    pub name: Option<String>,
}
