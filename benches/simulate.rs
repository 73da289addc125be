//! Criterion benchmarks of the stages of a run: loading a scenario, simulating paths (on the
//! 40-indicator reference scenario and on the flagship), and summarising.
//!
//! `cargo bench --bench simulate` — throughput is reported in paths per second.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use feasim::engine::{self, RunConfig};

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.bench_function("flagship", |b| {
        b.iter(|| feasim::scenario::load(black_box(Path::new("scenarios/liaoning-2022-2024.toml"))).unwrap())
    });
    group.finish();
}

fn simulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    for (name, file) in
        [("reference-40", "benches/reference-40.toml"), ("flagship", "scenarios/liaoning-2022-2024.toml")]
    {
        let model = feasim::scenario::load(Path::new(file)).unwrap();
        let paths = 65_536;
        group.throughput(Throughput::Elements(paths));
        group.bench_function(format!("{name}/parallel"), |b| {
            b.iter(|| engine::accumulate(black_box(&model), 1, 0..paths, &|_| {}))
        });
        group.bench_function(format!("{name}/one-thread"), |b| {
            b.iter(|| engine::accumulate_sequential(black_box(&model), 1, 0..paths))
        });
    }
    group.finish();
}

fn summarise(c: &mut Criterion) {
    let model = feasim::scenario::load(Path::new("scenarios/liaoning-2022-2024.toml")).unwrap();
    let acc = engine::accumulate(&model, 1, 0..20_000, &|_| {});
    c.bench_function("summarise/flagship", |b| {
        b.iter(|| feasim::summary::Summary::from_accumulator(black_box(&model), black_box(&acc), 1))
    });
    let _ = RunConfig::default();
}

criterion_group!(benches, load, simulate, summarise);
criterion_main!(benches);
