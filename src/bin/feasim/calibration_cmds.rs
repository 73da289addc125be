//! The calibration commands (`fit`, `score`): read the inputs, call [`feasim::calibration`],
//! write the files atomically and print the tables.

use std::io::Write;

use feasim::calibration::{fit, history, score};
use feasim::report::atomic_write;

use crate::cli::{FitArgs, ScoreArgs};
use crate::{bad_input, chart_options, load, on_threads, progress_bar, terminal_width};

pub fn fit(args: FitArgs) -> anyhow::Result<()> {
    let inputs = fit::FitInputs { history: &args.history, map: &args.map, scenario: args.scenario.as_deref() };
    let report = fit::fit_files(&inputs)?;
    let fragment = report.fragment(args.out.as_deref());
    let mut out = std::io::stdout().lock();
    match &args.out {
        Some(path) => {
            atomic_write(path, fragment.as_bytes())?;
            if !args.quiet {
                write!(out, "{}", report.render(terminal_width()))?;
                writeln!(out, "wrote {}", path.display())?;
            }
        }
        None => {
            if !args.quiet {
                write!(out, "{}", report.render(terminal_width()))?;
                writeln!(out)?;
            }
            write!(out, "{fragment}")?;
        }
    }
    Ok(())
}

pub fn score(args: ScoreArgs) -> anyhow::Result<()> {
    let model = load(&args.scenario)?;
    let table = history::read(&args.outcomes, true)?;
    let outcomes = score::outcomes_from_table(&model, &table)?;
    let paths = args.sim.paths.unwrap_or(model.default_paths);
    if paths == 0 {
        return Err(bad_input!("--paths must be at least 1"));
    }
    let seed = args.sim.seed.unwrap_or(model.default_seed);
    let bar = progress_bar(args.sim.quiet, Some(paths));
    let started = std::time::Instant::now();
    let forecast = on_threads(args.sim.threads, || score::forecast(&model, paths, seed, &|n| bar.inc(n)))?;
    bar.finish_and_clear();
    let report = score::score(&model, &forecast, &outcomes);
    let seconds = started.elapsed().as_secs_f64();
    let dir = args.sim.out.clone().unwrap_or_else(|| format!("{}-score", model.name).into());
    let mut written = Vec::new();
    for (name, bytes) in [("score.json", report.to_json()?.into_bytes()), ("score.csv", report.to_csv()?)] {
        let path = dir.join(name);
        atomic_write(&path, &bytes)?;
        written.push(path);
    }
    let mut notes = Vec::new();
    if !args.sim.no_charts {
        let charts = feasim::plot::write_score_charts(&report, &dir.join("charts"), &chart_options(&args.sim))?;
        notes.extend(charts.warnings);
        written.extend(charts.files);
    }
    if !args.sim.quiet {
        let mut out = std::io::stdout().lock();
        write!(out, "{}", report.render(terminal_width()))?;
        for note in &notes {
            writeln!(out, "warning: {note}")?;
        }
        writeln!(
            out,
            "{paths} paths (seed {seed}) in {seconds:.2} s; wrote {} files to {}",
            written.len(),
            dir.display()
        )?;
    }
    Ok(())
}
