//! Reproducibility: the same scenario and seed give the same bits however the work is split.

use feasim::engine::{self, accumulate_sequential};
use feasim::summary::Summary;

use crate::util::{header, json, model, run_on};

/// Five correlated indicators of every kind, persistence, an uncertain base, derived values.
fn mixed_scenario() -> String {
    header(2024)
        + "[groups]\ncities = [\"a\", \"b\"]\n"
        + "[[indicator]]\nid = \"a.gdp\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\npersistence = 0.4\ngrowth = { dist = \"student_t\", mean = 5, sd = 2, df = 5 }\n"
        + "[[indicator]]\nid = \"b.gdp\"\nkind = \"level\"\nbase_dist = { dist = \"pert\", min = 40, mode = 50, max = 70 }\nassumption = \"t\"\ngrowth = { dist = \"split_normal\", mode = 4, sd = 2, skew = -0.4 }\ngrowth_by_year = { 2022 = { dist = \"triangular\", min = -2, mode = 2, max = 5 } }\n"
        + "[[indicator]]\nid = \"share\"\nkind = \"rate\"\nbase = 30\nsource = \"t\"\nchange = { dist = \"uniform\", min = -1, max = 2 }\n"
        + "[[indicator]]\nid = \"firms\"\nkind = \"count\"\nbase = 10\nsource = \"t\"\nadditions = { dist = \"negbin\", mean = 4, dispersion = 2 }\n"
        + "[[indicator]]\nid = \"total\"\nkind = \"derived\"\nexpr = \"sum(cities.gdp)\"\n"
        + "[[correlation]]\ngroup = [\"a.gdp\", \"b.gdp\", \"share\"]\nrho = 0.5\n"
        + "[[correlation]]\nbetween = [\"firms\", \"a.gdp\"]\nrho = 0.3\n"
        + "[[target]]\nid = \"t1\"\nregion = \"x\"\nmetric = \"value\"\nindicator = \"total\"\ncomparator = \">=\"\nthreshold = 180\n"
        + "[[target]]\nid = \"t2\"\nregion = \"x\"\nmetric = \"cagr\"\nindicator = \"b.gdp\"\nversus = { metric = \"cagr\", indicator = \"a.gdp\" }\ncomparator = \">\"\nthreshold = 0\n"
        + "[[target]]\nid = \"t3\"\nregion = \"y\"\nmetric = \"share\"\nnumerator = \"a.gdp\"\ndenominator = \"total\"\ncomparator = \">=\"\nthreshold = 60\n"
        + "[[target]]\nid = \"t4\"\nregion = \"y\"\nmetric = \"change_every_year\"\nindicator = \"firms\"\ncomparator = \">=\"\nthreshold = 2\n"
        + "[[target]]\nid = \"t5\"\nregion = \"y\"\nmetric = \"growth_every_year\"\nindicator = \"a.gdp\"\ncomparator = \">=\"\nthreshold = 2\n"
}

#[test]
fn same_bits_on_one_and_two_threads_and_sequentially() {
    let m = model(&mixed_scenario());
    // 10_000 paths = 9 full chunks and a partial one, so work really is split.
    let one = run_on(&m, 10_000, 7, 1);
    let two = run_on(&m, 10_000, 7, 2);
    let four = run_on(&m, 10_000, 7, 4);
    assert_eq!(json(&one), json(&two));
    assert_eq!(json(&one), json(&four));
    let sequential = Summary::from_accumulator(&m, &accumulate_sequential(&m, 7, 0..10_000), 7);
    assert_eq!(json(&one), json(&sequential));
}

#[test]
fn splitting_the_paths_and_merging_gives_the_same_accumulator() {
    let m = model(&mixed_scenario());
    let whole = accumulate_sequential(&m, 3, 0..5000);
    let mut parts = engine::accumulate(&m, 3, 3000..5000, &|_| {});
    parts.merge(&engine::accumulate(&m, 3, 0..3000, &|_| {}));
    assert_eq!(json(&Summary::from_accumulator(&m, &whole, 3)), json(&Summary::from_accumulator(&m, &parts, 3)));
}

#[test]
fn a_different_seed_gives_different_draws() {
    let m = model(&mixed_scenario());
    assert_ne!(json(&run_on(&m, 2000, 1, 2)), json(&run_on(&m, 2000, 2, 2)));
}

#[test]
fn adding_an_indicator_leaves_the_other_draws_unchanged() {
    let base = mixed_scenario();
    // An unrelated indicator inserted at the top, with its own target.
    let extra = "[[indicator]]\nid = \"zzz.extra\"\nkind = \"level\"\nbase = 5\nsource = \"t\"\ngrowth = { dist = \"normal\", mean = 1, sd = 1 }\n";
    let position = base.find("[[indicator]]").unwrap();
    let with_extra = format!("{}{}{}", &base[..position], extra, &base[position..]);
    let a = run_on(&model(&base), 4000, 11, 2);
    let b = run_on(&model(&with_extra), 4000, 11, 2);
    for (x, y) in a.targets.iter().zip(&b.targets) {
        assert_eq!(x.hits, y.hits, "target {}", x.id);
        assert_eq!(json_of(&x.quantiles), json_of(&y.quantiles));
    }
}

fn json_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}

#[test]
fn common_random_numbers_make_probability_monotone_in_the_mean() {
    // Raising mean growth by 0.1 point never lowers P(hit): every path's level rises.
    let mut last = 0;
    for step in 0..8 {
        let mean = 4.0 + 0.1 * step as f64;
        let text = header(2024)
            + &format!(
                "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\ngrowth = {{ dist = \"normal\", mean = {mean}, sd = 2 }}\n"
            )
            + "[[target]]\nid = \"t\"\nmetric = \"value\"\nindicator = \"x\"\ncomparator = \">=\"\nthreshold = 113\n";
        let hits = run_on(&model(&text), 5000, 5, 2).targets[0].hits;
        assert!(hits >= last, "mean {mean}: {hits} < {last}");
        last = hits;
    }
}

#[test]
fn a_model_restricted_to_one_target_computes_it_bit_for_bit() {
    // Every flagship target, alone in its restricted model, gets exactly the values it gets in
    // the whole model (same hits, same quantiles, same histogram).
    let full = feasim::scenario::load(std::path::Path::new("scenarios/liaoning-2022-2024.toml")).unwrap();
    let whole = run_on(&full, 1500, 3, 2);
    let mut smaller = 0;
    for t in 0..full.targets.len() {
        let alone = full.restricted(&[t]);
        assert_eq!(alone.targets.len(), 1);
        smaller += usize::from(alone.indicators.len() < full.indicators.len());
        let part = run_on(&alone, 1500, 3, 2);
        let (a, b) = (&whole.targets[t], &part.targets[0]);
        assert_eq!(a.id, b.id);
        assert_eq!(a.hits, b.hits, "{}", a.id);
        assert_eq!(json_of(&a.quantiles), json_of(&b.quantiles), "{}", a.id);
        assert_eq!(json_of(&a.histogram), json_of(&b.histogram), "{}", a.id);
    }
    assert!(smaller > 40, "restriction drops indicators for most targets ({smaller})");
}

/// The block engine (the fast path every run uses) against the one-path-at-a-time reference:
/// the same accumulator, bit for bit, on every shipped scenario and the mixed scenario above,
/// under every sampling design, over ranges that end inside a block and start off a block edge.
#[test]
fn blocks_reproduce_the_per_path_reference_bit_for_bit() {
    use feasim::engine::{DesignedStreams, Sampling, accumulate_per_path, accumulate_sequential_designed, simd};
    let mut models = vec![("mixed".to_string(), model(&mixed_scenario()))];
    for file in [
        "scenarios/liaoning-2022-2024.toml",
        "scenarios/liaoning-2022-2024-pessimistic.toml",
        "scenarios/tutorial.toml",
        "benches/reference-40.toml",
        "tests/data/calib-small.toml",
        "tests/data/ishigami.toml",
    ] {
        let m = feasim::scenario::load(std::path::Path::new(file)).unwrap_or_else(|e| panic!("{e}"));
        models.push((file.to_string(), m));
    }
    // Every vector level the CPU has (forcing one is harmless to tests running alongside:
    // all levels give the same bits, which is what this test checks).
    for level in simd::available() {
        simd::force(Some(level));
        for (name, m) in &models {
            for sampling in Sampling::ALL.map(|s| s.for_paths(32 * 32)) {
                // Latin hypercube blocks of 16 (an even number of permuted bits), 128 (odd:
                // cycle walking) and 1024 paths: runs of 1 000, 5 000 and 2^20 paths.
                let totals: &[u64] =
                    if sampling == Sampling::LatinHypercube { &[1000, 5000, 1 << 20] } else { &[1000] };
                for &total in totals {
                    let streams = DesignedStreams::for_run(11, sampling, total);
                    for range in [0..1000u64, 2048..2048 + 77, 5..40] {
                        let blocks = accumulate_sequential_designed(m, streams, range.clone());
                        let reference = accumulate_per_path(m, streams, range.clone());
                        assert_eq!(
                            serde_json::to_string(&blocks).unwrap(),
                            serde_json::to_string(&reference).unwrap(),
                            "{name}, {sampling:?} of {total} paths, paths {range:?}, {level:?}"
                        );
                    }
                }
            }
        }
    }
    simd::force(None);
}

/// Paired runs (sweep, compare) simulate in blocks too: each variant's hit counts equal its own
/// one-path-at-a-time reference, and gains and losses balance the difference.
#[test]
fn paired_blocks_count_what_the_per_path_reference_counts() {
    use feasim::engine::{DesignedStreams, Sampling, accumulate_paired, accumulate_per_path};
    let base = model(&mixed_scenario());
    let shifted = model(&mixed_scenario().replace("mean = 5, sd = 2, df = 5", "mean = 6, sd = 2, df = 5"));
    let acc = accumulate_paired(&[&base, &shifted], 3, 1000..3100, &|_| {});
    for (v, m) in [&base, &shifted].into_iter().enumerate() {
        let reference = accumulate_per_path(m, DesignedStreams::for_run(3, Sampling::Independent, 3100), 1000..3100);
        assert_eq!(acc.hits[v], reference.hits, "variant {v}");
        for t in 0..m.targets.len() {
            let change = acc.gained[v][t] as i64 - acc.lost[v][t] as i64;
            assert_eq!(change, acc.hits[v][t] as i64 - acc.hits[0][t] as i64, "variant {v}, target {t}");
        }
    }
    assert_ne!(acc.hits[0], acc.hits[1], "the shift must move some hits");
}

/// Analyses reuse the baseline's normals for variants that move one assumption
/// (`Block::simulate_reusing`): every indicator value and every target verdict of the variant
/// equals its own full simulation bit for bit, for every assumption of the mixed scenario (under
/// every sampling design) and of the flagship (both shifts), on a full block and a partial one;
/// only the indicators the assumption can affect are recomputed; a correlation change is not
/// reused.
#[test]
fn variants_reusing_the_baseline_blocks_give_their_own_bits() {
    use feasim::analysis::{params, sensitivity};
    use feasim::engine::block::{Block, LANES, Reuse};
    use feasim::engine::{DesignedStreams, Sampling};
    let flagship = feasim::scenario::load(std::path::Path::new("scenarios/liaoning-2022-2024.toml")).unwrap();
    let cases = [
        (model(&mixed_scenario()), vec![Sampling::Independent, Sampling::Antithetic, Sampling::LatinHypercube]),
        (flagship, vec![Sampling::Independent]),
    ];
    let mut reused = 0;
    for (m, designs) in &cases {
        for param in params::parameters(m) {
            let (low, high) = sensitivity::shifts(m, &param, None);
            for value in [low, high] {
                // Shifts the loader would refuse are skipped, as `sensitivity` skips them.
                let Ok(variant) = params::with_value(m, &param, value) else { continue };
                let Some(reuse) = Reuse::new(m, &variant) else {
                    assert_eq!(
                        param.kind,
                        params::ParamKind::Correlation,
                        "{}: only a correlation changes the normals",
                        param.id
                    );
                    continue;
                };
                reused += 1;
                let affected = sensitivity::affected_indicators(m, &param);
                assert!(reuse.recomputed() <= affected.iter().filter(|&&a| a).count(), "{}", param.id);
                for &sampling in designs {
                    let streams = DesignedStreams::for_run(5, sampling, 1 << 20);
                    for (first, len) in [(1024u64, LANES), (3 * 64 + 2048, 37)] {
                        let (mut base, mut full, mut reusing) =
                            (Block::new(m), Block::new(&variant), Block::new(&variant));
                        base.simulate(m, &streams, first, len);
                        full.simulate(&variant, &streams, first, len);
                        reusing.simulate_reusing(&variant, &base, &reuse);
                        let bits = |c: &[f64]| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                        for i in 0..variant.indicators.len() {
                            for y in 0..variant.n_years() {
                                assert_eq!(
                                    bits(full.column(i, y)),
                                    bits(reusing.column(i, y)),
                                    "{} {value}: indicator {i}, year {y}",
                                    param.id
                                );
                            }
                        }
                        for t in 0..variant.targets.len() {
                            let ((fv, fh), (rv, rh)) = (full.target_column(t), reusing.target_column(t));
                            assert_eq!((bits(fv), fh), (bits(rv), rh), "{} {value}: target {t}", param.id);
                        }
                    }
                }
            }
        }
    }
    eprintln!("{reused} variants reused the baseline");
    assert!(reused >= 700, "only {reused} variants reused the baseline");
}
