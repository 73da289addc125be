//! `feasim report` and `feasim run --report`: after the run, the sensitivity analysis and sweeps
//! of each target's strongest drivers on the same seed (common random numbers), then report.html
//! ([`feasim::report::html`]) beside the run's usual files.

use std::path::{Path, PathBuf};

use feasim::analysis::params;
use feasim::analysis::sensitivity::{self as sens, SensitivityReport};
use feasim::analysis::sweep::{self as sweeper, SweepReport};
use feasim::engine::{RunConfig, Sampling};
use feasim::model::Model;
use feasim::report::atomic_write;
use feasim::report::html::{self, Language, ReportInput};
use feasim::summary::Summary;

use crate::analyses::SENSITIVITY_PATHS;
use crate::cli::{Lang, RunArgs};
use crate::{bad_input, on_threads, progress_bar};

/// Check the report options before anything is simulated.
pub fn check_options(args: &RunArgs) -> anyhow::Result<()> {
    let o = &args.report_options;
    if o.analysis_paths == Some(0) {
        return Err(bad_input!("--analysis-paths must be at least 1"));
    }
    if o.top == 0 {
        return Err(bad_input!("--top must be at least 1"));
    }
    if o.steps < 2 {
        return Err(bad_input!("--steps must be at least 2 (a slider needs two values)"));
    }
    if args.shard.is_some() {
        return Err(bad_input!(
            "--report cannot be combined with --shard: run the shards, `feasim merge` them, then `feasim report`"
        ));
    }
    Ok(())
}

/// Run the analyses (unless `--no-analyses`) and write report.html (and the analyses' JSON and
/// CSV) into `dir`; returns the files written and a line for the terminal.
pub fn write_report(
    model: &Model,
    summary: &Summary,
    args: &RunArgs,
    config: &RunConfig,
    dir: &Path,
) -> anyhow::Result<(Vec<PathBuf>, String)> {
    let o = &args.report_options;
    let sim = &args.sim;
    let analysis_paths = o.analysis_paths.unwrap_or(config.paths.min(SENSITIVITY_PATHS));
    let mut written = Vec::new();
    let started = std::time::Instant::now();
    let mut sensitivity: Option<SensitivityReport> = None;
    let mut sweeps: Vec<SweepReport> = Vec::new();
    if !o.no_analyses {
        let sconfig = sens::SensitivityConfig {
            paths: analysis_paths,
            seed: config.seed,
            kinds: vec![],
            mean_shift: None,
            batch: sens::BATCH,
        };
        let plan = sens::plan(model, &sconfig);
        let bar = progress_bar(sim.quiet, Some(analysis_paths * plan.batches() as u64));
        let report = on_threads(sim.threads, || sens::run(model, &plan, &sconfig, &|n| bar.inc(n)))?
            .map_err(|e| anyhow::anyhow!(e))?;
        bar.finish_and_clear();

        // Each driver is swept on its own restricted model (the targets it can move), all on the
        // same paths and seed as the sensitivity analysis.
        let mut specs = Vec::new();
        for id in html::drivers_to_sweep(&report, o.top) {
            let param = params::find(model, &id).map_err(|e| anyhow::anyhow!(e))?;
            let (from, to) = params::default_range(model, &param);
            specs.push(sweeper::SweepSpec { param, from, to, steps: o.steps });
        }
        let bar = progress_bar(sim.quiet, Some(analysis_paths * specs.len() as u64));
        for spec in specs {
            let one = on_threads(sim.threads, || {
                sweeper::run(model, std::slice::from_ref(&spec), analysis_paths, config.seed, &|n| bar.inc(n))
            })?
            .map_err(|e| anyhow::anyhow!("cannot sweep {}: {e}", spec.param.id))?;
            sweeps.push(one);
        }
        bar.finish_and_clear();
        let merged = merge_sweeps(&report, sweeps);
        written.push(write(dir, "sensitivity.json", report.to_json()?.into_bytes())?);
        written.push(write(dir, "sensitivity.csv", report.to_csv()?)?);
        written.push(write(dir, "sweep.json", merged.to_json()?.into_bytes())?);
        written.push(write(dir, "sweep.csv", merged.to_csv()?)?);
        sweeps = vec![merged];
        sensitivity = Some(report);
    }
    let language = match sim.lang {
        Lang::En => Language::English,
        Lang::Zh | Lang::Auto => Language::Chinese,
    };
    let input = ReportInput {
        model,
        summary,
        sensitivity: sensitivity.as_ref(),
        sweeps: &sweeps,
        command: reproduce_command(args, config, analysis_paths),
        language,
        top: o.top,
    };
    let page = html::page(&input);
    let kb = page.len() as f64 / 1024.0;
    written.push(write(dir, "report.html", page.into_bytes())?);
    // The workbook beside the page, from the same summary and sensitivity.
    let sheet_language = match language {
        Language::English => feasim::plot::Language::English,
        Language::Chinese => feasim::plot::Language::Chinese,
    };
    let workbook =
        feasim::report::xlsx::workbook(model, summary, sensitivity.as_ref(), sheet_language, &args.scenario.scenario)?;
    written.push(write(dir, "report.xlsx", workbook)?);
    let seconds = started.elapsed().as_secs_f64();
    let line = match &sensitivity {
        Some(s) => format!(
            "report: sensitivity of {} assumptions and sweeps of {} drivers on {analysis_paths} paths in {seconds:.2} s; report.html {kb:.0} KB",
            s.parameters.len(),
            sweeps.iter().map(|r| r.sweeps.len()).sum::<usize>()
        ),
        None => format!("report: report.html {kb:.0} KB (no analyses)"),
    };
    Ok((written, line))
}

fn write(dir: &Path, name: &str, bytes: Vec<u8>) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    atomic_write(&path, &bytes)?;
    Ok(path)
}

/// One sweep report holding every driver's sweep. Each was simulated on its own restricted model
/// with the same seed and paths as the sensitivity analysis, which computes every target bit for
/// bit as the whole model does, so the baselines are the sensitivity analysis's.
fn merge_sweeps(sensitivity: &SensitivityReport, parts: Vec<SweepReport>) -> SweepReport {
    SweepReport {
        feasim_version: sensitivity.feasim_version.clone(),
        scenario: sensitivity.scenario.clone(),
        run: sensitivity.run.clone(),
        targets: sensitivity.targets.clone(),
        sweeps: parts.into_iter().flat_map(|r| r.sweeps).collect(),
    }
}

/// The command line that reproduces this report, with every default made explicit.
fn reproduce_command(args: &RunArgs, config: &RunConfig, analysis_paths: u64) -> String {
    let quote = |s: &str| {
        if !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || "-_./:=+@%".contains(c)) {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    let mut words = vec![
        "feasim".to_string(),
        "report".into(),
        quote(&args.scenario.scenario.display().to_string()),
        format!("--paths {}", config.paths),
        format!("--seed {}", config.seed),
    ];
    match config.sampling {
        Sampling::Independent => {}
        Sampling::Antithetic => words.push("--sampling antithetic".into()),
        Sampling::LatinHypercube => words.push("--sampling lhs".into()),
        Sampling::Sobol { .. } => words.push("--sampling sobol".into()),
    }
    if args.scenario.repair_correlations {
        words.push("--repair-correlations".into());
    }
    let o = &args.report_options;
    if o.no_analyses {
        words.push("--no-analyses".into());
    } else {
        words.push(format!("--analysis-paths {analysis_paths} --top {} --steps {}", o.top, o.steps));
    }
    words.join(" ")
}
