//! The analysis commands (`sensitivity`, `sweep`, `solve`, `compare`, `sobol`, `separate`): check the command line
//! against the scenario, call [`feasim::analysis`], write the files and print the table.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use feasim::analysis::params::{self, Param, ParamKind};
use feasim::analysis::{compare as comparison, sensitivity as sens, solve as solver, sweep as sweeper};
use feasim::engine::CHUNK;
use feasim::model::Model;
use feasim::report::atomic_write;
use feasim::scenario::diagnostic::did_you_mean;
use feasim::scenario::{self, LoadOptions};
use feasim::shard::{PartialSweep, ShardId, SweepMerger};

use crate::cli::{CompareArgs, MergeArgs, SensitivityArgs, SeparateArgs, SimArgs, SobolArgs, SolveArgs, SweepArgs};
use crate::{
    bad_input, chart_options, chart_options_for, load, merge_scenario, on_threads, progress_bar, scenario_ref,
};

/// Default paths of `feasim sensitivity`: each parameter costs two extra simulations of every
/// path, and paired differences are precise at a few thousand paths (a ΔP of 5 pp with 10% of
/// paths changing verdict has a standard error of 0.4 pp at 5,000 paths).
pub const SENSITIVITY_PATHS: u64 = 2_000;

fn paths_and_seed(sim: &SimArgs, model: &Model, default_cap: Option<u64>) -> anyhow::Result<(u64, u64)> {
    let default = default_cap.map_or(model.default_paths, |cap| model.default_paths.min(cap));
    let paths = sim.paths.unwrap_or(default);
    if paths == 0 {
        return Err(bad_input!("--paths must be at least 1"));
    }
    Ok((paths, sim.seed.unwrap_or(model.default_seed)))
}

fn find_param(model: &Model, id: &str) -> anyhow::Result<Param> {
    params::find(model, id).map_err(|e| bad_input!("--param: {e}"))
}

/// Write `(name, bytes)` into `dir` atomically; returns the paths.
fn write_all(dir: &Path, files: Vec<(&str, Vec<u8>)>) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        atomic_write(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

fn finish(
    command: &str,
    sim: &SimArgs,
    table: &str,
    notes: &[String],
    written: usize,
    dir: &Path,
    seconds: f64,
) -> anyhow::Result<()> {
    let removed = feasim::report::manifest::finish(dir, command)?;
    if sim.quiet {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    write!(out, "{table}")?;
    if !removed.is_empty() {
        writeln!(
            out,
            "removed {} outputs of the previous `feasim {command}` in this folder that this one did not write",
            removed.len()
        )?;
    }
    for note in notes {
        writeln!(out, "warning: {note}")?;
    }
    writeln!(out, "done in {seconds:.2} s; wrote {written} files to {}", dir.display())?;
    Ok(())
}

pub fn sensitivity(args: SensitivityArgs) -> anyhow::Result<()> {
    let model = load(&args.scenario)?;
    let (paths, seed) = paths_and_seed(&args.sim, &model, Some(SENSITIVITY_PATHS))?;
    let kinds = args
        .only_kind
        .iter()
        .map(|k| {
            parse_kind(k)
                .ok_or_else(|| bad_input!("--only-kind: unknown kind \"{k}\" (mean, spread, base, persistence, rho)"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(shift) = args.shift_mean
        && !(shift > 0.0 && shift.is_finite())
    {
        return Err(bad_input!(
            "--shift-mean must be a positive number of percentage points (got {})",
            feasim::numbers::shown(shift)
        ));
    }
    let config = sens::SensitivityConfig { paths, seed, kinds, mean_shift: args.shift_mean, batch: sens::BATCH };
    let plan = sens::plan(&model, &config);
    let bar = progress_bar(args.sim.quiet, Some(paths * plan.batches() as u64));
    let started = std::time::Instant::now();
    let report = on_threads(args.sim.threads, || sens::run(&model, &plan, &config, &|n| bar.inc(n)))?
        .map_err(|e| anyhow::anyhow!(e))?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let dir = args.sim.out.clone().unwrap_or_else(|| format!("{}-sensitivity", model.name).into());
    let mut written = write_all(
        &dir,
        vec![("sensitivity.json", report.to_json()?.into_bytes()), ("sensitivity.csv", report.to_csv()?)],
    )?;
    let mut notes: Vec<String> =
        report.skipped.iter().map(|s| format!("{} not analysed: {}", s.id, s.reason)).collect();
    if !args.sim.no_charts {
        let charts = on_threads(args.sim.threads, || {
            feasim::plot::write_sensitivity_charts(&report, &dir.join("charts"), &chart_options(&args.sim))
        })??;
        notes.extend(charts.warnings);
        written.extend(charts.files);
    }
    let table = format!(
        "{}{} parameters × {} targets, {} paths each (seed {seed})\n",
        report.render(args.top),
        report.parameters.len(),
        report.targets.len(),
        paths
    );
    finish("sensitivity", &args.sim, &table, &notes, written.len(), &dir, seconds)
}

fn parse_kind(name: &str) -> Option<ParamKind> {
    [ParamKind::Mean, ParamKind::Spread, ParamKind::Base, ParamKind::Persistence, ParamKind::Correlation]
        .into_iter()
        .find(|k| k.name() == name.trim() || (name.trim() == "correlation" && *k == ParamKind::Correlation))
}

/// `ID` or `ID=FROM:TO`.
fn parse_sweep_param(text: &str) -> anyhow::Result<(&str, Option<(f64, f64)>)> {
    let Some((id, range)) = text.split_once('=') else { return Ok((text, None)) };
    let parse = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    match range.split_once(':').map(|(a, b)| (parse(a), parse(b))) {
        Some((Some(a), Some(b))) => Ok((id, Some((a, b)))),
        _ => Err(bad_input!("--param {text}: write the range as ID=FROM:TO, e.g. shenyang.gdp_real:mean=4:6")),
    }
}

pub fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    let model = load(&args.scenario)?;
    let (paths, seed) = paths_and_seed(&args.sim, &model, None)?;
    if args.steps == 0 {
        return Err(bad_input!("--steps must be at least 1"));
    }
    let mut specs = Vec::new();
    for text in &args.params {
        let (id, range) = parse_sweep_param(text)?;
        let param = find_param(&model, id)?;
        let (default_from, default_to) = params::default_range(&model, &param);
        let (from, to) = range.unwrap_or((args.from.unwrap_or(default_from), args.to.unwrap_or(default_to)));
        let spec = sweeper::SweepSpec { param, from, to, steps: args.steps };
        for v in spec.grid() {
            params::with_value(&model, &spec.param, v).map_err(|e| bad_input!("--param {text}: {e}"))?;
        }
        specs.push(spec);
    }
    let dir = args.sim.out.clone().unwrap_or_else(|| format!("{}-sweep", model.name).into());
    if let Some(shard) = args.shard {
        return sweep_shard(&model, &args, &specs, (paths, seed), shard, &dir);
    }
    let bar = progress_bar(args.sim.quiet, Some(paths));
    let started = std::time::Instant::now();
    let report = on_threads(args.sim.threads, || sweeper::run(&model, &specs, paths, seed, &|n| bar.inc(n)))?
        .map_err(|e| bad_input!("{e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let (written, notes) = write_sweep(&report, &dir, args.sim.no_charts, &chart_options(&args.sim))?;
    finish("sweep", &args.sim, &report.render(), &notes, written, &dir, seconds)
}

/// Write a sweep's files (sweep.json, sweep.csv and, unless `no_charts`, the charts) into `dir`;
/// returns the number of files written and the charts' warnings.
fn write_sweep(
    report: &sweeper::SweepReport,
    dir: &Path,
    no_charts: bool,
    options: &feasim::plot::ChartOptions,
) -> anyhow::Result<(usize, Vec<String>)> {
    let mut written =
        write_all(dir, vec![("sweep.json", report.to_json()?.into_bytes()), ("sweep.csv", report.to_csv()?)])?;
    let mut notes = Vec::new();
    if !no_charts {
        let charts = feasim::plot::write_sweep_charts(report, &dir.join("charts"), options)?;
        notes.extend(charts.warnings);
        written.extend(charts.files);
    }
    Ok((written.len(), notes))
}

/// `feasim sweep --shard I/N`: simulate one shard's paths of every grid value and write its partial
/// sweep, nothing else.
fn sweep_shard(
    model: &Model,
    args: &SweepArgs,
    specs: &[sweeper::SweepSpec],
    (paths, seed): (u64, u64),
    shard: ShardId,
    dir: &Path,
) -> anyhow::Result<()> {
    let plan = sweeper::SweepPlan::new(model, specs).map_err(|e| bad_input!("{e}"))?;
    let range = shard.paths(paths);
    let n_paths = range.end - range.start;
    let bar = progress_bar(args.sim.quiet, Some(n_paths));
    let started = std::time::Instant::now();
    let accumulator = on_threads(args.sim.threads, || plan.simulate(seed, range.clone(), &|n| bar.inc(n)))?;
    let elapsed = started.elapsed();
    bar.finish_and_clear();

    let result = PartialSweep::new(&plan, scenario_ref(model, &args.scenario), seed, paths, shard, accumulator);
    let file = dir.join(shard.file_name());
    let text = result.to_json().with_context(|| format!("cannot format {}", file.display()))?;
    atomic_write(&file, text.as_bytes())?;
    if !args.sim.quiet {
        let empty = if n_paths == 0 {
            format!(" (no paths: {paths} paths make only {} chunks of {CHUNK})", paths.div_ceil(CHUNK))
        } else {
            String::new()
        };
        println!(
            "shard {shard}: paths {}..{} of {paths} (seed {seed}){empty}, {} models each, in {:.2} s; wrote {}",
            range.start,
            range.end,
            1 + plan.variants.len(),
            elapsed.as_secs_f64(),
            file.display()
        );
    }
    Ok(())
}

/// `feasim merge` of the shards of a sweep: check them, rebuild the sweep from the scenario file
/// and the recorded parameters, add the counts up and write what `feasim sweep` writes.
pub fn merge_sweep(merger: SweepMerger, args: &MergeArgs, started: std::time::Instant) -> anyhow::Result<()> {
    let sweep = merger.check().map_err(|e| bad_input!("{e}"))?;
    let model = merge_scenario(args, &sweep.scenario)?;
    let mut specs = Vec::new();
    for swept in &sweep.sweep {
        let param = params::find(&model, &swept.id).map_err(|e| bad_input!("cannot merge: --param {swept}: {e}"))?;
        let spec = sweeper::SweepSpec { param, from: swept.from, to: swept.to, steps: swept.steps };
        for v in spec.grid() {
            params::with_value(&model, &spec.param, v).map_err(|e| bad_input!("cannot merge: --param {swept}: {e}"))?;
        }
        specs.push(spec);
    }
    let plan = sweeper::SweepPlan::new(&model, &specs).map_err(|e| bad_input!("cannot merge: {e}"))?;
    let accumulator = merger.finish(&plan).map_err(|e| bad_input!("{e}"))?;
    let report = plan.report(&accumulator, sweep.total_paths, sweep.seed);
    let seconds = started.elapsed().as_secs_f64();

    let dir = args.out.clone().unwrap_or_else(|| format!("{}-sweep", model.name).into());
    let options = chart_options_for(args.lang, args.font.clone());
    let (written, notes) = write_sweep(&report, &dir, args.no_charts, &options)?;
    // The merged sweep's files are the single sweep's: the same manifest entry.
    feasim::report::manifest::finish(&dir, "sweep")?;
    if args.quiet {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    write!(out, "{}", report.render())?;
    for note in &notes {
        writeln!(out, "warning: {note}")?;
    }
    writeln!(
        out,
        "merged {} sweep shards: {} paths (seed {}) in {seconds:.2} s; wrote {written} files to {}",
        sweep.shards,
        sweep.total_paths,
        sweep.seed,
        dir.display()
    )?;
    Ok(())
}

pub fn solve(args: SolveArgs) -> anyhow::Result<()> {
    let model = load(&args.scenario)?;
    let (paths, seed) = paths_and_seed(&args.sim, &model, None)?;
    let Some(target) = model.targets.iter().position(|t| t.id == args.target) else {
        let hint = did_you_mean(&args.target, model.targets.iter().map(|t| t.id.as_str()))
            .unwrap_or_else(|| "`feasim check` lists the scenario; target ids are in its [[target]] tables".into());
        return Err(bad_input!("--target: no target \"{}\"; {hint}", args.target));
    };
    let param = find_param(&model, &args.param)?;
    if let Some(p) = args.probabilities.iter().find(|p| !(**p > 0.0 && **p < 1.0)) {
        return Err(bad_input!("--probability must lie strictly between 0 and 1 (got {})", feasim::numbers::shown(*p)));
    }
    if let Some(t) = args.tolerance
        && !(t > 0.0 && t.is_finite())
    {
        return Err(bad_input!("--tolerance must be a positive number (got {})", feasim::numbers::shown(t)));
    }
    let config =
        solver::SolveConfig { paths, seed, probabilities: args.probabilities.clone(), tolerance: args.tolerance };
    let bar = progress_bar(args.sim.quiet, None);
    let started = std::time::Instant::now();
    let report = on_threads(args.sim.threads, || solver::solve(&model, target, &param, &config, &|n| bar.inc(n)))?
        .map_err(|e| bad_input!("{e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let dir = args.sim.out.clone().unwrap_or_else(|| format!("{}-solve", model.name).into());
    let mut written = write_all(&dir, vec![("solve.json", report.to_json()?.into_bytes())])?;
    let mut notes = Vec::new();
    if !args.sim.no_charts {
        let charts = feasim::plot::write_solve_chart(&report, &dir.join("charts"), &chart_options(&args.sim))?;
        notes.extend(charts.warnings);
        written.extend(charts.files);
    }
    finish("solve", &args.sim, &report.render(), &notes, written.len(), &dir, seconds)
}

pub fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let options = LoadOptions { repair_correlations: args.repair_correlations };
    let models =
        args.scenarios.iter().map(|path| scenario::load_with(path, options)).collect::<Result<Vec<Model>, _>>()?;
    let (paths, seed) = paths_and_seed(&args.sim, &models[0], None)?;
    let refs: Vec<&Model> = models.iter().collect();
    if !args.allow_different_years {
        let names: Vec<String> = args.scenarios.iter().map(|p| p.display().to_string()).collect();
        comparison::same_years(&refs, &names).map_err(|e| bad_input!("{e}"))?;
    }
    let bar = progress_bar(args.sim.quiet, Some(paths));
    let started = std::time::Instant::now();
    let report = on_threads(args.sim.threads, || comparison::compare(&refs, paths, seed, &|n| bar.inc(n)))?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let dir = args.sim.out.clone().unwrap_or_else(|| format!("{}-compare", models[0].name).into());
    let mut written =
        write_all(&dir, vec![("compare.json", report.to_json()?.into_bytes()), ("compare.csv", report.to_csv()?)])?;
    let mut notes = Vec::new();
    if !args.sim.no_charts {
        let charts = feasim::plot::write_compare_chart(&report, &dir.join("charts"), &chart_options(&args.sim))?;
        notes.extend(charts.warnings);
        written.extend(charts.files);
    }
    let table = format!("{}{paths} paths, seed {seed}, the same paths for every scenario\n", report.render());
    finish("compare", &args.sim, &table, &notes, written.len(), &dir, seconds)
}

/// Default N of `feasim sobol`: with ~150 input groups the flagship needs N·152 evaluations.
pub const SOBOL_SAMPLES: u64 = 1024;

pub fn sobol(args: SobolArgs) -> anyhow::Result<()> {
    let model = load(&args.scenario)?;
    let samples = args.sim.paths.unwrap_or(SOBOL_SAMPLES);
    if samples < 2 {
        return Err(bad_input!("--paths (the number of base samples) must be at least 2"));
    }
    if args.bootstrap == 0 {
        return Err(bad_input!("--bootstrap must be at least 1"));
    }
    let seed = args.sim.seed.unwrap_or(model.default_seed);
    let sampling = match args.sampling {
        crate::cli::SamplingArg::Independent => feasim::engine::Sampling::Independent,
        crate::cli::SamplingArg::Sobol => feasim::engine::Sampling::sobol_sequence(samples),
        crate::cli::SamplingArg::Antithetic | crate::cli::SamplingArg::Lhs => {
            return Err(bad_input!(
                "sobol takes --sampling independent or --sampling sobol (antithetic pairs and Latin hypercube \
                 blocks are not implemented for the Saltelli design)"
            ));
        }
    };
    let config = feasim::analysis::sobol::SobolConfig { samples, seed, bootstrap: args.bootstrap, sampling };
    let bar = progress_bar(args.sim.quiet, None);
    let started = std::time::Instant::now();
    let result = on_threads(args.sim.threads, || feasim::analysis::sobol::sobol(&model, &config, &|n| bar.inc(n)))?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let dir = args.sim.out.clone().unwrap_or_else(|| format!("{}-sobol", model.name).into());
    let mut written = feasim::analysis::sobol::write_files(&result, &dir)?;
    let mut notes = Vec::new();
    if !args.sim.no_charts {
        let charts = feasim::plot::write_sobol_charts(&result, &dir.join("charts"), &chart_options(&args.sim))?;
        notes.extend(charts.warnings);
        written.extend(charts.files);
    }
    let table = format!(
        "{}{} model evaluations (N = {samples}, seed {seed}), {:.0} evaluations/s\n",
        feasim::analysis::sobol::render_table(&result, args.top, Some(160)),
        result.run.model_evaluations,
        result.run.model_evaluations as f64 / seconds.max(1e-9)
    );
    finish("sobol", &args.sim, &table, &notes, written.len(), &dir, seconds)
}

pub fn separate(args: SeparateArgs) -> anyhow::Result<()> {
    let model = load(&args.scenario)?;
    let (paths, seed) = paths_and_seed(&args.sim, &model, None)?;
    let config = feasim::analysis::separation::SeparationConfig { paths, seed };
    let bar = progress_bar(args.sim.quiet, Some(paths));
    let started = std::time::Instant::now();
    let result =
        on_threads(args.sim.threads, || feasim::analysis::separation::separate(&model, &config, &|n| bar.inc(n)))?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let dir = args.sim.out.clone().unwrap_or_else(|| format!("{}-separation", model.name).into());
    let mut written = feasim::analysis::separation::write_files(&result, &dir)?;
    let mut notes = Vec::new();
    if !args.sim.no_charts {
        let charts = feasim::plot::write_separation_charts(&result, &dir.join("charts"), &chart_options(&args.sim))?;
        notes.extend(charts.warnings);
        written.extend(charts.files);
    }
    let table = feasim::analysis::separation::render_table(&result, args.top, Some(160));
    finish("separate", &args.sim, &table, &notes, written.len(), &dir, seconds)
}
