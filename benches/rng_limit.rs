//! The random-number limit of the reference scenario, and feasim against it (issue 4).
//!
//! `cargo bench --bench rng_limit [-- --reps R --seconds S --threads T]`
//! (or the environment variables `RNG_LIMIT_REPS`, `RNG_LIMIT_SECONDS`, `RNG_LIMIT_THREADS`;
//! defaults 5 repetitions, about 1 s per measurement, 2 threads).
//!
//! One process measures, on `benches/reference-40.toml` (40 indicators × 3 projection years):
//!
//! - **the random-number limit**: rayon workers, chunked exactly like the engine (chunks of
//!   [`engine::CHUNK`] paths), do nothing but draw the normals a path needs — for every path and
//!   every stochastic indicator, a fresh stream from `feasim::engine::rng::shock_stream` (same
//!   seeding: seed, path index, the indicator's stream key) and `n_years − 1` draws from it (plus
//!   one draw from `rng::base_stream` per uncertain base, none here) — and sum them into a black
//!   box. Normals per second ÷ normals per path = the limit in paths per second;
//! - **feasim**: `feasim::engine::accumulate` (the whole simulation and accumulation, no I/O) on
//!   the same scenario and seed, in a rayon pool of T threads and in a pool of 1 thread;
//! - **the limit with feasim's own sampler**: the same normals drawn as the block engine draws
//!   them (`engine::normals::LaneStreams`, the streams of 64 paths side by side; bit-identical
//!   numbers), which shows what is left of feasim's time beyond drawing its random numbers;
//!
//! and prints, per repetition and as median [min–max] over the repetitions: normals/s, the limit
//! in paths/s, feasim's paths/s, feasim ÷ limit (goal ≥ 0.6), and feasim's T-thread ÷ 1-thread
//! scaling (goal ≥ 1.8). The limit on 1 thread is measured too, to show what scaling the machine
//! itself allows. Ratios are formed within a repetition (the measurements of one repetition run
//! back to back), then summarised.
//!
//! **The numbers must be the engine's.** This file draws them the straightforward way, one
//! stream at a time with `rand_distr::StandardNormal` from `rng::shock_stream` (rand_xoshiro's
//! Xoshiro256++), which is what the per-path reference `src/engine/path.rs` does. The engine's
//! block driver draws the same numbers with its own batched exact sampler
//! (`src/engine/normals.rs`, tested bit for bit against `rand_distr`), which counts in its favour
//! as the issue intends. Before timing anything, the bench checks that the numbers still agree:
//! it rebuilds 4096 paths of the reference scenario from its own draws (Cholesky factor, normal
//! marginals, log compounding) and requires every target's hit count to equal, and its minimum
//! and maximum to agree with, what `feasim::engine::run` reports. If the engine changes its
//! sampler, its stream seeding or the order of its draws, the check fails and the bench stops:
//! update `draw_normals` below to draw exactly as `src/engine/path.rs` does.

use std::hint::black_box;
use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::time::Instant;

use feasim::engine::block::LANES;
use feasim::engine::normals::LaneStreams;
use feasim::engine::simd::{self, Level};
use feasim::engine::{self, CHUNK, RunConfig, rng};
use feasim::model::{Base, Compounding, Metric, Model, Process};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

const SCENARIO: &str = "benches/reference-40.toml";
const SYNC_CHECK_PATHS: u64 = 4096;

/// Settings from the command line and the environment.
struct Settings {
    reps: usize,
    seconds: f64,
    threads: usize,
    seed: u64,
}

fn settings() -> Settings {
    let env = |name: &str| std::env::var(name).ok();
    let mut reps = env("RNG_LIMIT_REPS");
    let mut seconds = env("RNG_LIMIT_SECONDS");
    let mut threads = env("RNG_LIMIT_THREADS");
    let mut seed = env("RNG_LIMIT_SEED");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--reps" => &mut reps,
            "--seconds" => &mut seconds,
            "--threads" => &mut threads,
            "--seed" => &mut seed,
            // `cargo bench` passes `--bench` (and a filter, if given) to harness = false benches.
            "--bench" => continue,
            "-h" | "--help" => {
                println!(
                    "rng_limit [--reps R] [--seconds S] [--threads T] [--seed N]\n\
                     (env RNG_LIMIT_REPS, RNG_LIMIT_SECONDS, RNG_LIMIT_THREADS, RNG_LIMIT_SEED; defaults 5, 1, 2, 1)"
                );
                std::process::exit(0);
            }
            other if other.starts_with('-') => die(&format!("unknown option {other} (try --help)")),
            _ => continue,
        };
        *slot = Some(args.next().unwrap_or_else(|| die(&format!("{arg} needs a value"))));
    }
    fn parse<T: std::str::FromStr>(name: &str, value: Option<String>, default: T) -> T {
        value.map_or(default, |v| v.parse().unwrap_or_else(|_| die(&format!("{name}: cannot parse {v:?}"))))
    }
    let s = Settings {
        reps: parse("reps", reps, 5),
        seconds: parse("seconds", seconds, 1.0),
        threads: parse("threads", threads, 2),
        seed: parse("seed", seed, 1),
    };
    if s.reps == 0 || s.threads == 0 || s.seconds.is_nan() || s.seconds <= 0.0 {
        die("reps, threads and seconds must be positive");
    }
    s
}

fn die(message: &str) -> ! {
    eprintln!("rng_limit: {message}");
    std::process::exit(2)
}

/// What a path of `model` draws: stream keys of the stochastic indicators (one stream each,
/// `n_proj` normals), and of the indicators with an uncertain base (one normal each).
struct Draws {
    shock_keys: Vec<u64>,
    base_keys: Vec<u64>,
    n_proj: usize,
}

impl Draws {
    fn of(model: &Model) -> Self {
        Draws {
            shock_keys: model.stochastic().iter().map(|&i| model.indicators[i].stream_key).collect(),
            base_keys: model
                .indicators
                .iter()
                .filter(|i| matches!(i.base, Base::Uncertain { .. }))
                .map(|i| i.stream_key)
                .collect(),
            n_proj: model.n_years() - 1,
        }
    }

    fn per_path(&self) -> u64 {
        (self.shock_keys.len() * self.n_proj + self.base_keys.len()) as u64
    }
}

/// Draw the normals of path `path` exactly as `src/engine/path.rs` does, handing each to `sink`
/// (base draws first, then each stochastic indicator's `n_proj` shocks, in declaration order).
#[inline(always)]
fn draw_normals(draws: &Draws, seed: u64, path: u64, mut sink: impl FnMut(f64)) {
    for &key in &draws.base_keys {
        let mut stream = rng::base_stream(seed, path, key);
        sink(StandardNormal.sample(&mut stream));
    }
    for &key in &draws.shock_keys {
        let mut stream = rng::shock_stream(seed, path, key);
        for _ in 0..draws.n_proj {
            sink(StandardNormal.sample(&mut stream));
        }
    }
}

/// The limit's work: draw every normal of the paths in `paths`, on the current rayon pool, in
/// chunks of `CHUNK` paths like the engine; returns their sum (a black box).
fn draw_only(draws: &Draws, seed: u64, paths: Range<u64>) -> f64 {
    let n_chunks = (paths.end - paths.start).div_ceil(CHUNK);
    (0..n_chunks)
        .into_par_iter()
        .map(|chunk| {
            let start = paths.start + chunk * CHUNK;
            let end = (start + CHUNK).min(paths.end);
            let mut sum = 0.0;
            for p in start..end {
                draw_normals(draws, seed, p, |x| sum += x);
            }
            black_box(sum)
        })
        .sum()
}

/// The same normals drawn with the engine's own batched exact sampler (`engine::normals`): the
/// streams of `LANES` consecutive paths side by side, as the block engine draws them. What is
/// left of feasim's time beyond this is the work of the paths themselves.
fn draw_only_batched(draws: &Draws, seed: u64, paths: Range<u64>) -> f64 {
    let n_chunks = (paths.end - paths.start).div_ceil(CHUNK);
    (0..n_chunks)
        .into_par_iter()
        .map(|chunk| {
            let start = paths.start + chunk * CHUNK;
            let end = (start + CHUNK).min(paths.end);
            // Compiled for the vector level the engine uses, as the engine's own copy is.
            match simd::level() {
                // SAFETY: the level is at most what the CPU was detected to support.
                #[cfg(target_arch = "x86_64")]
                Level::Avx512 => unsafe { draw_chunk_avx512(draws, seed, start..end) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => unsafe { draw_chunk_avx2(draws, seed, start..end) },
                _ => draw_chunk(draws, seed, start..end),
            }
        })
        .sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
unsafe fn draw_chunk_avx512(draws: &Draws, seed: u64, paths: Range<u64>) -> f64 {
    draw_chunk(draws, seed, paths)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn draw_chunk_avx2(draws: &Draws, seed: u64, paths: Range<u64>) -> f64 {
    draw_chunk(draws, seed, paths)
}

#[inline(always)]
fn draw_chunk(draws: &Draws, seed: u64, paths: Range<u64>) -> f64 {
    let mut lanes = LaneStreams::default();
    let (mut keys, mut seeds, mut out) = ([0u64; LANES], [0u64; LANES], [0.0; LANES]);
    // One running sum per lane (a single float sum would be a serial chain of additions).
    let mut sums = [0.0; LANES];
    let mut first = paths.start;
    while first < paths.end {
        let len = ((paths.end - first) as usize).min(LANES);
        for (lane, key) in keys[..len].iter_mut().enumerate() {
            *key = rng::path_key(seed, first + lane as u64);
        }
        for &stream_key in &draws.shock_keys {
            for (s, &key) in seeds.iter_mut().zip(&keys) {
                *s = rng::shock_stream_seed(key, stream_key);
            }
            lanes.seed(&seeds);
            for _ in 0..draws.n_proj {
                lanes.next_normals(len, &mut out);
                sums.iter_mut().zip(&out).for_each(|(s, &x)| *s += x);
            }
        }
        first += len as u64;
    }
    black_box(sums.iter().sum::<f64>())
}

/// Check that `draw_normals` reproduces the engine's random numbers: rebuild the first
/// `SYNC_CHECK_PATHS` paths of the reference scenario from them and compare every target's hit
/// count, minimum and maximum with `engine::run`.
fn check_same_normals_as_engine(model: &Model, draws: &Draws, seed: u64) -> Result<(), String> {
    let n_years = model.n_years();
    let n_proj = n_years - 1;
    let k = model.stochastic().len();
    let unsupported = |what: &str| Err(format!("the sync check does not handle {what}; use the reference scenario"));
    if !draws.base_keys.is_empty() {
        return unsupported("uncertain bases");
    }
    let mut bases = Vec::with_capacity(k);
    let mut marginals = Vec::with_capacity(k);
    for &i in model.stochastic() {
        let indicator = &model.indicators[i];
        let (Base::Known { value, .. }, Process::Level { growth, compounding: Compounding::Log, persistence }) =
            (&indicator.base, &indicator.process)
        else {
            return unsupported("indicators other than log-compounded levels with a known base");
        };
        if *persistence != 0.0 {
            return unsupported("persistence");
        }
        bases.push(*value);
        marginals.push(growth);
    }
    if model.stochastic().len() != model.indicators.len() {
        return unsupported("derived or deterministic indicators");
    }
    // Position of each indicator among the stochastic ones (they are all stochastic here).
    let mut targets = Vec::new();
    for target in &model.targets {
        let Metric::Value { indicator, year } = target.metric else { return unsupported("metrics other than value") };
        if target.versus.is_some() {
            return unsupported("relative targets");
        }
        let k_of = model.stochastic().iter().position(|&i| i == indicator).expect("all indicators are stochastic");
        targets.push((k_of, year, target.comparator, target.threshold));
    }

    let mut hits = vec![0u64; targets.len()];
    let mut min = vec![f64::INFINITY; targets.len()];
    let mut max = vec![f64::NEG_INFINITY; targets.len()];
    let mut e = Vec::with_capacity(k * n_proj);
    let mut values = vec![0.0; k * n_years];
    for p in 0..SYNC_CHECK_PATHS {
        e.clear();
        draw_normals(draws, seed, p, |x| e.push(x));
        for a in 0..k {
            values[a * n_years] = bases[a];
        }
        for t in 1..n_years {
            for a in 0..k {
                // z = L e in the engine's fixed order; normal marginal; log compounding.
                let z = match model.cholesky() {
                    Some(l) => {
                        let mut sum = 0.0;
                        for (b, &lab) in l[a * k..a * k + a + 1].iter().enumerate() {
                            sum += lab * e[b * n_proj + t - 1];
                        }
                        sum
                    }
                    None => e[a * n_proj + t - 1],
                };
                let x = marginals[a][t - 1].from_standard_normal(z);
                values[a * n_years + t] = values[a * n_years + t - 1] * (x / 100.0).exp();
            }
        }
        for (j, &(a, year, comparator, threshold)) in targets.iter().enumerate() {
            let v = values[a * n_years + year];
            let test = feasim::model::Test { comparator, threshold, range: None };
            hits[j] += u64::from(test.holds(v));
            min[j] = min[j].min(v);
            max[j] = max[j].max(v);
        }
    }

    let summary = engine::run(model, &RunConfig { paths: SYNC_CHECK_PATHS, seed, ..RunConfig::default() }, &|_| {});
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs());
    for (j, t) in summary.targets.iter().enumerate() {
        if t.hits != hits[j] || !close(t.quantiles.min, min[j]) || !close(t.quantiles.max, max[j]) {
            return Err(format!(
                "target {}: the engine gives {} hits, min {}, max {}; this bench's normals give {} hits, min {}, max {}",
                t.id, t.hits, t.quantiles.min, t.quantiles.max, hits[j], min[j], max[j]
            ));
        }
    }
    Ok(())
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| die(&format!("cannot build a pool of {threads} threads: {e}")))
}

/// Seconds taken by `f`.
fn time(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

/// A path count (a multiple of `CHUNK`) for which `work` takes about `seconds`, found by doubling
/// from 16 chunks until one call takes 0.2 s (this also warms up).
fn calibrate(seconds: f64, mut work: impl FnMut(u64) -> f64) -> u64 {
    let mut paths = 16 * CHUNK;
    loop {
        let elapsed = work(paths);
        if elapsed >= 0.2 || paths >= 1 << 40 {
            let wanted = (paths as f64 * seconds / elapsed).ceil() as u64;
            return wanted.div_ceil(CHUNK).max(1) * CHUNK;
        }
        paths *= 2;
    }
}

fn median_and_range(values: &[f64]) -> (f64, f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) };
    (median, v[0], v[n - 1])
}

fn main() {
    let s = settings();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIO);
    let model = feasim::scenario::load(&file).unwrap_or_else(|e| die(&format!("{}: {e:?}", file.display())));
    let draws = Draws::of(&model);
    let per_path = draws.per_path();
    let seed = s.seed;
    let (pool_t, pool_1) = (pool(s.threads), pool(1));

    println!(
        "rng_limit: {} ({} stochastic indicators x {} years = {} normals per path), seed {}, {} threads, {} repetitions",
        model.name,
        draws.shock_keys.len(),
        draws.n_proj,
        per_path,
        seed,
        s.threads,
        s.reps
    );
    print!("checking that this bench draws the engine's normals ({SYNC_CHECK_PATHS} paths)... ");
    _ = std::io::stdout().flush();
    if let Err(e) = check_same_normals_as_engine(&model, &draws, seed) {
        println!("MISMATCH");
        eprintln!(
            "rng_limit: {e}\nrng_limit: the engine no longer draws its normals as `draw_normals` in benches/rng_limit.rs \
             does; update it to match src/engine/path.rs, or the limit measured here means nothing"
        );
        std::process::exit(1);
    }
    println!("ok");

    let limit = |threads: &rayon::ThreadPool, paths: u64| {
        time(|| _ = black_box(threads.install(|| draw_only(&draws, seed, 0..paths))))
    };
    let feasim = |threads: &rayon::ThreadPool, paths: u64| {
        time(|| _ = black_box(threads.install(|| engine::accumulate(&model, seed, 0..paths, &|_| {}))))
    };
    let batched = |threads: &rayon::ThreadPool, paths: u64| {
        time(|| _ = black_box(threads.install(|| draw_only_batched(&draws, seed, 0..paths))))
    };
    let limit_paths = calibrate(s.seconds, |n| limit(&pool_t, n));
    let batched_paths = calibrate(s.seconds, |n| batched(&pool_t, n));
    let feasim_paths = calibrate(s.seconds, |n| feasim(&pool_t, n));
    println!(
        "paths per measurement: {limit_paths} for the limit, {feasim_paths} for feasim (about {} s on {} threads; twice as long on 1)",
        s.seconds, s.threads
    );

    let t = s.threads;
    println!(
        "{:>4} {:>14} {:>14} {:>14} {:>14} {:>14} {:>10} {:>10} {:>10} {:>14} {:>10}",
        "rep",
        format!("normals/s {t}t"),
        format!("limit p/s {t}t"),
        "limit p/s 1t",
        format!("feasim p/s {t}t"),
        "feasim p/s 1t",
        "feas/limit",
        format!("feas {t}t/1t"),
        format!("limit {t}t/1t"),
        format!("batched p/s {t}t"),
        "feas/batch"
    );
    let mut rows: Vec<[f64; 10]> = Vec::with_capacity(s.reps);
    for rep in 1..=s.reps {
        let limit_t = limit_paths as f64 / limit(&pool_t, limit_paths);
        let feasim_t = feasim_paths as f64 / feasim(&pool_t, feasim_paths);
        let feasim_1 = feasim_paths as f64 / feasim(&pool_1, feasim_paths);
        let limit_1 = limit_paths as f64 / limit(&pool_1, limit_paths);
        let batched_t = batched_paths as f64 / batched(&pool_t, batched_paths);
        let row = [
            limit_t * per_path as f64,
            limit_t,
            limit_1,
            feasim_t,
            feasim_1,
            feasim_t / limit_t,
            feasim_t / feasim_1,
            limit_t / limit_1,
            batched_t,
            feasim_t / batched_t,
        ];
        println!(
            "{rep:>4} {:>14.4e} {:>14.0} {:>14.0} {:>14.0} {:>14.0} {:>10.3} {:>10.3} {:>10.3} {:>14.0} {:>10.3}",
            row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9]
        );
        rows.push(row);
    }

    let stat = |c: usize| median_and_range(&rows.iter().map(|r| r[c]).collect::<Vec<_>>());
    let show = |label: &str, c: usize, precision: usize| {
        let (m, lo, hi) = stat(c);
        println!("{label:<44} {m:>14.precision$} [{lo:.precision$} – {hi:.precision$}]");
    };
    println!("\nmedian [min – max] over {} repetitions:", s.reps);
    show(&format!("normals per second ({t} threads)"), 0, 0);
    show(&format!("random-number limit, paths/s ({t} threads)"), 1, 0);
    show("random-number limit, paths/s (1 thread)", 2, 0);
    show(&format!("feasim, paths/s ({t} threads)"), 3, 0);
    show("feasim, paths/s (1 thread)", 4, 0);
    show(&format!("feasim / limit ({t} threads; goal >= 0.6)"), 5, 3);
    show(&format!("feasim {t} threads / 1 thread (goal >= 1.8)"), 6, 3);
    show(&format!("limit {t} threads / 1 thread (the machine's)"), 7, 3);
    show(&format!("limit with feasim's batched sampler, paths/s ({t}t)"), 8, 0);
    show(&format!("feasim / that limit ({t} threads)"), 9, 3);
}
