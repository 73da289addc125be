//! The `feasim` command: parse the command line, call the library, report errors, set the exit
//! code (0 success, 1 failure while running or writing, 2 bad input or usage).

mod cli;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

mod analyses;
mod calibration_cmds;
mod plan_cmds;
mod report_cmd;

use cli::{Cli, Command, Lang, MergeArgs, RunArgs, ScenarioArgs, SimArgs};
use feasim::engine::{self, CHUNK, RunConfig};
use feasim::model::Model;
use feasim::report::table::Labels;
use feasim::scenario::{self, LoadError, LoadOptions};
use feasim::shard::{self, Gathered, PartialResult, ScenarioRef, ShardId};
use feasim::summary::Summary;

/// Exit code for a scenario or command line the user must fix.
const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Size rayon's global pool once, so that everything a command does in parallel (simulating,
    // drawing and encoding charts, writing files) keeps to `--threads`.
    if let Some(threads) = cli.command.threads() {
        // Fails only if the pool already exists, which it cannot before this line.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(threads.max(1)).build_global();
    }
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Report(mut args) => {
            args.report = true;
            run(args)
        }
        Command::Check(args) => check(args.scenario),
        Command::Sensitivity(args) => analyses::sensitivity(args),
        Command::Sweep(args) => analyses::sweep(args),
        Command::Solve(args) => analyses::solve(args),
        Command::Compare(args) => analyses::compare(args),
        Command::Sobol(args) => analyses::sobol(args),
        Command::Separate(args) => analyses::separate(args),
        Command::Fit(args) => calibration_cmds::fit(args),
        Command::Score(args) => calibration_cmds::score(args),
        Command::Merge(args) => merge(args),
        Command::Extract(args) => plan_cmds::extract(args),
        Command::Init(args) => plan_cmds::init(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            if let Some(load) = e.downcast_ref::<LoadError>() {
                eprintln!("{load}");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
            if e.downcast_ref::<BadInput>().is_some() {
                eprintln!("error: {e:#}");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A mistake on the command line found after parsing (an unknown parameter, a bad range):
/// exit code 2, like a scenario error.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// `Err(BadInput)` with a formatted message.
macro_rules! bad_input {
    ($($arg:tt)*) => { anyhow::Error::new($crate::BadInput(format!($($arg)*))) };
}
pub(crate) use bad_input;

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

fn load(args: &ScenarioArgs) -> anyhow::Result<Model> {
    let options = LoadOptions { repair_correlations: args.repair_correlations };
    Ok(scenario::load_with(&args.scenario, options)?)
}

fn check(args: ScenarioArgs) -> anyhow::Result<()> {
    let options = LoadOptions { repair_correlations: args.repair_correlations };
    let draft = scenario::load_draft(&args.scenario, options)?;
    let model = draft.model;
    let to_fill = draft.to_fill.diagnostics.len();
    let n_derived = model.indicators.len() - model.stochastic().len();
    let mut out = std::io::stdout().lock();
    let verdict = match to_fill {
        0 => "ok".to_string(),
        1 => "valid apart from 1 value still to fill (\"TODO\")".to_string(),
        n => format!("valid apart from {n} values still to fill (\"TODO\")"),
    };
    writeln!(out, "{}: {verdict} — {}", args.scenario.display(), model.title)?;
    writeln!(
        out,
        "  {}, {} with yearly shocks, {} derived; {}, {} not modelled; projection years {}–{}",
        plural(model.indicators.len(), "indicator"),
        model.stochastic().len(),
        n_derived,
        plural(model.targets.len(), "target"),
        model.not_modelled.len(),
        model.base_year + 1,
        model.end_year
    )?;
    let uncertain = model.indicators.iter().filter(|i| matches!(i.base, feasim::model::Base::Uncertain { .. })).count();
    let verb = if uncertain == 1 { "is an assumption" } else { "are assumptions" };
    writeln!(out, "  {} {verb} (base_dist) rather than statistics", plural(uncertain, "base value"))?;
    if let Some(r) = &model.correlation_repair {
        writeln!(
            out,
            "  correlations repaired: largest change {:.4} ({} ~ {}), Frobenius norm {:.4}",
            r.max_abs_change, r.max_change_between.0, r.max_change_between.1, r.frobenius_change
        )?;
    }
    for warning in &model.warnings {
        writeln!(out, "\n{warning}")?;
    }
    if !model.warnings.is_empty() {
        writeln!(out, "\n{} (the scenario still runs)", plural(model.warnings.len(), "warning"))?;
    }
    if to_fill > 0 {
        // Placeholders written by `feasim init`: listed here, refused by `run` and the analyses.
        writeln!(out, "\n{}", draft.to_fill)?;
        return Err(bad_input!(
            "{} still to fill in {}: replace each \"TODO\" with a number, then run it",
            if to_fill == 1 { "1 value".to_string() } else { format!("{to_fill} values") },
            args.scenario.display()
        ));
    }
    Ok(())
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn run(run_args: RunArgs) -> anyhow::Result<()> {
    let model = load(&run_args.scenario)?;
    for warning in &model.warnings {
        eprintln!("{warning}\n");
    }
    let args = &run_args.sim;
    let sampling = match run_args.sampling {
        cli::SamplingArg::Independent => engine::Sampling::Independent,
        cli::SamplingArg::Antithetic => engine::Sampling::Antithetic,
        cli::SamplingArg::Lhs => engine::Sampling::LatinHypercube,
        // Replicates sized for the run's paths (for --precision, for its first batch, which every
        // later batch keeps: the design must not change as batches are added).
        cli::SamplingArg::Sobol => engine::Sampling::sobol(match &run_args.precision {
            Some(_) => engine::FIRST_BATCH.min(run_args.max_paths),
            None => args.paths.unwrap_or(model.default_paths),
        }),
    };
    let mut config = RunConfig {
        paths: args.paths.unwrap_or(model.default_paths),
        seed: args.seed.unwrap_or(model.default_seed),
        sampling,
    };
    if config.paths == 0 {
        return Err(bad_input!("--paths must be at least 1"));
    }
    let precision = run_args.precision.as_deref().map(parse_precision).transpose()?;
    if precision.is_some() && args.paths.is_some() {
        return Err(bad_input!("--precision chooses the number of paths itself: give --max-paths instead of --paths"));
    }
    if run_args.max_paths == 0 {
        return Err(bad_input!("--max-paths must be at least 1"));
    }
    let out_dir = args.out.clone().unwrap_or_else(|| model.name.clone().into());
    if run_args.report {
        report_cmd::check_options(&run_args)?;
    }
    if let Some(shard) = run_args.shard {
        if precision.is_some() {
            return Err(bad_input!(
                "--precision cannot be split into shards: every shard needs the same fixed --paths (a --precision \
                 run reports the --paths that gives the same result)"
            ));
        }
        if run_args.xlsx {
            return Err(bad_input!(
                "--xlsx cannot be used with --shard: a shard writes only its partial result (run the whole scenario \
                 with --xlsx instead)"
            ));
        }
        return run_shard(&model, &run_args.scenario, config, shard, args, &out_dir);
    }

    let bar = progress_bar(args.quiet, if precision.is_some() { None } else { Some(config.paths) });
    let progress = |n: u64| bar.inc(n);
    let started = std::time::Instant::now();
    let mut precision_note = None;
    let summary = match precision {
        None => on_threads(args.threads, || engine::run(&model, &config, &progress))?,
        Some(e) => {
            let (summary, outcome) = on_threads(args.threads, || {
                engine::run_to_precision(&model, config.seed, sampling, e, run_args.max_paths, &progress)
            })?;
            config.paths = outcome.paths;
            let widest = outcome.widest.as_deref().unwrap_or("-");
            precision_note = Some(if outcome.reached {
                format!(
                    "precision ±{:.3} pp reached with {} paths in {} batches (widest: {widest}, ±{:.3} pp); `--paths {}` gives the same result",
                    100.0 * e,
                    outcome.paths,
                    outcome.batches,
                    100.0 * outcome.half_width,
                    outcome.paths
                )
            } else {
                format!(
                    "precision ±{:.3} pp NOT reached: stopped at --max-paths {} (widest: {widest}, ±{:.3} pp)",
                    100.0 * e,
                    outcome.paths,
                    100.0 * outcome.half_width
                )
            });
            summary
        }
    };
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    if let Some(note) = &precision_note
        && args.quiet
    {
        eprintln!("{note}");
    }

    let report = if run_args.report {
        Some(report_cmd::write_report(&model, &summary, &run_args, &config, &out_dir)?)
    } else {
        None
    };
    let charts = chart_options(args);
    let workbook = run_args
        .xlsx
        .then(|| feasim::report::xlsx::workbook(&model, &summary, None, charts.language, &run_args.scenario.scenario))
        .transpose()?;
    let output = Output {
        dir: out_dir,
        quiet: args.quiet,
        no_charts: args.no_charts,
        lang: args.lang,
        charts,
        workbook,
        threads: args.threads,
    };
    write_outputs(&summary, &output, |files, dir| {
        let note = precision_note.map(|note| format!("{note}\n")).unwrap_or_default();
        let (report_files, report_line) =
            report.map(|(files, line)| (files.len(), format!("\n{line}"))).unwrap_or_default();
        format!(
            "{note}{} paths in {:.2} s ({} paths/s); wrote {} files to {}{report_line}",
            feasim::units::thousands(config.paths as f64, 0),
            elapsed.as_secs_f64(),
            feasim::units::thousands(config.paths as f64 / elapsed.as_secs_f64().max(1e-9), 0),
            files + report_files,
            dir.display()
        )
    })
}

/// Where and how a run's summary is written (by `run`, and by `merge` for a sharded run).
struct Output {
    dir: PathBuf,
    quiet: bool,
    no_charts: bool,
    lang: Lang,
    charts: feasim::plot::ChartOptions,
    /// The bytes of report.xlsx, when it was asked for.
    workbook: Option<Vec<u8>>,
    /// Worker threads drawing the charts (`--threads`; all cores when `None`).
    threads: Option<usize>,
}

/// Write a run's files (summary.json, targets.csv, charts) and print its table, warnings and
/// `last_line(files written, folder)`.
fn write_outputs(
    summary: &Summary,
    output: &Output,
    last_line: impl FnOnce(usize, &Path) -> String,
) -> anyhow::Result<()> {
    let mut written = feasim::report::write_files(summary, &output.dir)?;
    if let Some(bytes) = &output.workbook {
        let path = output.dir.join("report.xlsx");
        feasim::report::atomic_write(&path, bytes)?;
        written.push(path);
    }
    let mut notes = Vec::new();
    let labels = match output.lang {
        Lang::Zh => Labels::Chinese,
        Lang::En => Labels::English,
        Lang::Auto => Labels::Chinese,
    };
    if !output.no_charts {
        let report = on_threads(output.threads, || {
            feasim::plot::write_charts(summary, &output.dir.join("charts"), &output.charts)
        })??;
        notes.extend(report.warnings);
        written.extend(report.files);
    }
    // `run` and `merge` write the same outputs: one manifest entry for both.
    let removed = feasim::report::manifest::finish(&output.dir, "run")?;
    if !output.quiet {
        let width = terminal_width();
        let mut out = std::io::stdout().lock();
        write!(out, "{}", feasim::report::table::render(summary, labels, width))?;
        for note in &notes {
            writeln!(out, "warning: {note}")?;
        }
        if !removed.is_empty() {
            writeln!(
                out,
                "removed {} outputs of the previous run in this folder that this one did not write",
                removed.len()
            )?;
        }
        writeln!(out, "{}", last_line(written.len(), &output.dir))?;
    }
    Ok(())
}

/// `feasim run --shard I/N`: simulate one shard's paths and write its partial result, nothing else.
fn run_shard(
    model: &Model,
    scenario: &ScenarioArgs,
    config: RunConfig,
    shard: ShardId,
    sim: &SimArgs,
    out_dir: &Path,
) -> anyhow::Result<()> {
    let paths = shard.paths(config.paths);
    let n_paths = paths.end - paths.start;
    let bar = progress_bar(sim.quiet, Some(n_paths));
    let progress = |n: u64| bar.inc(n);
    let started = std::time::Instant::now();
    let accumulator =
        on_threads(sim.threads, || engine::accumulate_designed(model, config.streams(), paths.clone(), &progress))?;
    let elapsed = started.elapsed();
    bar.finish_and_clear();

    let result = PartialResult::new(model, scenario_ref(model, scenario), config, shard, accumulator);
    let file = out_dir.join(shard.file_name());
    let text = result.to_json().with_context(|| format!("cannot format {}", file.display()))?;
    feasim::report::atomic_write(&file, text.as_bytes())?;
    if !sim.quiet {
        let empty = if n_paths == 0 {
            format!(" (no paths: {} paths make only {} chunks of {CHUNK})", config.paths, config.paths.div_ceil(CHUNK))
        } else {
            String::new()
        };
        println!(
            "shard {shard}: paths {}..{} of {} (seed {}){empty} in {:.2} s; wrote {}",
            paths.start,
            paths.end,
            config.paths,
            config.seed,
            elapsed.as_secs_f64(),
            file.display()
        );
    }
    Ok(())
}

/// Which scenario a shard simulates, as its partial result records it.
fn scenario_ref(model: &Model, scenario: &ScenarioArgs) -> ScenarioRef {
    ScenarioRef {
        name: model.name.clone(),
        path: scenario.scenario.clone(),
        absolute_path: std::path::absolute(&scenario.scenario).ok(),
        hash: model.hash.clone(),
        repair_correlations: scenario.repair_correlations,
    }
}

/// `feasim merge`: check that the parts are every shard of one run (or of one sweep), merge them,
/// and write what `feasim run` (or `feasim sweep`) writes for it.
fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut files = Vec::new();
    for arg in &args.parts {
        if arg.is_dir() {
            let found = shard::files_in(arg).with_context(|| format!("cannot list the folder {}", arg.display()))?;
            if found.is_empty() {
                return Err(bad_input!("{}: no partial results (shard-I-of-N.json) in this folder", arg.display()));
            }
            files.extend(found);
        } else {
            files.push(arg.clone());
        }
    }
    // Each file is added up as it is read: one accumulator in memory however many shards.
    let merger = match shard::gather(&files).map_err(|e| bad_input!("{e}"))? {
        Gathered::Runs(merger) => *merger,
        Gathered::Sweeps(merger) => return analyses::merge_sweep(merger, &args, started),
    };
    let run = merger.check().map_err(|e| bad_input!("{e}"))?;
    let model = merge_scenario(&args, &run.scenario)?;
    let accumulator = merger.finish(&model).map_err(|e| bad_input!("{e}"))?;
    let summary = Summary::from_accumulator(&model, &accumulator, run.config.seed);
    let elapsed = started.elapsed();

    let dir = args.out.clone().unwrap_or_else(|| model.name.clone().into());
    let output = Output {
        dir,
        quiet: args.quiet,
        no_charts: args.no_charts,
        lang: args.lang,
        charts: chart_options_for(args.lang, args.font.clone()),
        workbook: None,
        threads: None,
    };
    write_outputs(&summary, &output, |files, dir| {
        format!(
            "merged {} shards: {} paths (seed {}) in {:.2} s; wrote {files} files to {}",
            run.shards,
            run.config.paths,
            run.config.seed,
            elapsed.as_secs_f64(),
            dir.display()
        )
    })
}

/// The scenario the shards recorded, loaded again (from `--scenario` when given) and checked to be
/// the same file.
fn merge_scenario(args: &MergeArgs, recorded: &ScenarioRef) -> anyhow::Result<Model> {
    let scenario_path = match &args.scenario {
        Some(path) => path.clone(),
        None => match (&recorded.absolute_path, &recorded.path) {
            (Some(absolute), _) if absolute.is_file() => absolute.clone(),
            (_, path) if path.is_file() => path.clone(),
            (_, path) => {
                return Err(bad_input!(
                    "the scenario the shards simulated is no longer at {}; give it with --scenario PATH \
                     (the same file: its SHA-256 must be {})",
                    path.display(),
                    recorded.hash
                ));
            }
        },
    };
    let options = LoadOptions { repair_correlations: recorded.repair_correlations };
    let model = match scenario::load_with(&scenario_path, options) {
        Ok(model) => model,
        Err(e) if args.scenario.is_some() => return Err(e.into()),
        // A path read from inside a part: its content is never shown (a damaged or hostile part
        // could name any file), only that it is not the scenario.
        Err(_) => {
            return Err(bad_input!(
                "the scenario the shards recorded, {}, cannot be loaded as a scenario now; give the scenario \
                 file with --scenario PATH (its SHA-256 must be {})",
                scenario_path.display(),
                recorded.hash
            ));
        }
    };
    if model.hash != recorded.hash {
        return Err(bad_input!(
            "cannot merge: {} is not the scenario the shards simulated: its SHA-256 is {}, the shards' is {} \
             (was it edited since? give the original with --scenario, or run the shards again)",
            scenario_path.display(),
            model.hash,
            recorded.hash
        ));
    }
    Ok(model)
}

/// `--precision E`: a probability in (0, 0.5), or a percentage such as `0.5%`.
fn parse_precision(text: &str) -> anyhow::Result<f64> {
    let trimmed = text.trim();
    let (number, scale) = match trimmed.strip_suffix('%') {
        Some(n) => (n.trim(), 0.01),
        None => (trimmed, 1.0),
    };
    match number.parse::<f64>() {
        Ok(v) if v * scale > 0.0 && v * scale < 0.5 => Ok(v * scale),
        _ => Err(bad_input!(
            "--precision {text}: give the largest acceptable 95% half-width as a probability between 0 and 0.5 \
             (e.g. 0.005) or a percentage (e.g. 0.5%)"
        )),
    }
}

/// A progress bar on stderr counting `total` paths (a spinner when the total is unknown), hidden
/// when quiet or when stderr is not a terminal.
fn progress_bar(quiet: bool, total: Option<u64>) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let template = if total.is_some() {
        "{spinner} {wide_bar} {human_pos}/{human_len} paths ({per_sec}, {eta} left)"
    } else {
        "{spinner} {human_pos} paths simulated ({per_sec})"
    };
    bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}

/// Run `f` on a pool of `threads` worker threads: rayon's global pool when `None` or when `main`
/// already sized it to `threads` (the binary's case), a pool of its own otherwise.
fn on_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    match threads {
        Some(threads) if rayon::current_num_threads() != threads.max(1) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()
            .context("cannot start the worker threads")?
            .install(f)),
        _ => Ok(f()),
    }
}

fn chart_options(args: &SimArgs) -> feasim::plot::ChartOptions {
    let fan_bands = match args.fan_bands {
        cli::FanBandsArg::Quartiles => feasim::plot::FanBands::Quartiles,
        cli::FanBandsArg::Boe => feasim::plot::FanBands::Boe,
    };
    feasim::plot::ChartOptions { fan_bands, ..chart_options_for(args.lang, args.font.clone()) }
}

fn chart_options_for(lang: Lang, font_path: Option<PathBuf>) -> feasim::plot::ChartOptions {
    let language = match lang {
        Lang::Auto => feasim::plot::Language::Auto,
        Lang::Zh => feasim::plot::Language::Chinese,
        Lang::En => feasim::plot::Language::English,
    };
    feasim::plot::ChartOptions { language, font_path, ..Default::default() }
}

/// Columns the tables may use: `COLUMNS` when set, else the terminal's width, else 160 (output
/// into a file or a pipe).
fn terminal_width() -> Option<u16> {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse().ok()) {
        return Some(columns);
    }
    if !std::io::stdout().is_terminal() {
        return Some(160);
    }
    comfy_table::Table::new().width()
}
