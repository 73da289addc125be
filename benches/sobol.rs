//! Criterion benchmark of variance-based sensitivity on the flagship at a small N; throughput is
//! reported in model evaluations (paths simulated) per second: N · (groups + 2) per run.
//!
//! `cargo bench --bench sobol`

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use feasim::analysis::separation::{self, SeparationConfig};
use feasim::analysis::sobol::{self, SobolConfig};

fn sobol_flagship(c: &mut Criterion) {
    let model = feasim::scenario::load(Path::new("scenarios/liaoning-2022-2024.toml")).unwrap();
    let config = SobolConfig::new(512, 1);
    let evaluations = sobol::sobol(&model, &config, &|_| {}).run.model_evaluations;
    let mut group = c.benchmark_group("sobol");
    group.sample_size(10);
    group.throughput(Throughput::Elements(evaluations));
    group.bench_function("flagship/N=512", |b| b.iter(|| sobol::sobol(black_box(&model), &config, &|_| {})));
    let no_bootstrap = SobolConfig { bootstrap: 0, ..config };
    group.bench_function("flagship/N=512/no-bootstrap", |b| {
        b.iter(|| sobol::sobol(black_box(&model), &no_bootstrap, &|_| {}))
    });
    group.finish();

    let mut group = c.benchmark_group("separate");
    group.sample_size(10);
    let paths = 20_000;
    group.throughput(Throughput::Elements(paths));
    let config = SeparationConfig { paths, seed: 1 };
    group.bench_function("flagship", |b| b.iter(|| separation::separate(black_box(&model), &config, &|_| {})));
    group.finish();
}

criterion_group!(benches, sobol_flagship);
criterion_main!(benches);
