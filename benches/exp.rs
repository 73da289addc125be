//! Criterion benchmark of `engine::exp` against `f64::exp` on 4096 arguments in [−0.2, 0.2]
//! (the engine's growth rates / 100); throughput is reported in elements.
//!
//! `cargo bench --bench exp`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use feasim::engine::exp;

const N: usize = 4096;

/// Deterministic arguments in [−0.2, 0.2] (SplitMix64).
fn arguments() -> Vec<f64> {
    let mut state = 0x5eed_u64;
    (0..N)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            -0.2 + 0.4 * ((z >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

fn bench_exp(c: &mut Criterion) {
    let args = arguments();
    let mut out = vec![0.0; N];
    let mut group = c.benchmark_group("exp");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("f64::exp", |b| {
        b.iter(|| {
            for (o, &x) in out.iter_mut().zip(black_box(&args)) {
                *o = x.exp();
            }
            black_box(&out);
        })
    });
    group.bench_function("exp::exp", |b| {
        b.iter(|| {
            for (o, &x) in out.iter_mut().zip(black_box(&args)) {
                *o = exp::exp(x);
            }
            black_box(&out);
        })
    });
    group.bench_function("exp::exp_in_place", |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&args));
            exp::exp_in_place(&mut out);
            black_box(&out);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_exp);
criterion_main!(benches);
