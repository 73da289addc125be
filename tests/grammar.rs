//! The target grammar plans use (issue 12): every-year values, ranges, "about", equality of whole
//! numbers, sums over years, growth from a year before the base year, ordered classes and joint
//! targets — each against an exact answer (a closed form, an exact Poisson sum, a deterministic
//! series, a product of independent probabilities), the block engine against the per-path
//! reference bit for bit, and every misuse refused with its place.

use feasim::engine::{self, path};
use feasim::model::{Comparator, Metric};
use feasim::scenario::load_str;

use crate::util::{assert_probability, header, model, phi, run};

const N: u64 = 200_000;
const SEED: u64 = 20_261_206;

fn target(id: &str, body: &str) -> String {
    format!("[[target]]\nid = \"{id}\"\n{body}\n")
}

/// 稳定在…以上 over two years of a lognormal level: P(X₁ ≥ c and X₂ ≥ c) with i.i.d. normal
/// log-growth is a bivariate normal orthant of (S₁, S₁ + S₂), computed here by quadrature:
/// ∫_{s ≥ a} φ_σ(s − μ) · P(S₂ ≥ a − s) ds (Simpson, 20 000 panels: error far below the Monte
/// Carlo error). `value_every_year` over one year is exactly `value`.
#[test]
fn value_every_year_matches_the_bivariate_normal_orthant() {
    let (x0, mu, sigma, c) = (100.0_f64, 4.0_f64, 5.0_f64, 101.0_f64);
    let text = header(2023)
        + &format!(
            "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = {x0}\nsource = \"t\"\ncompounding = \"log\"\ngrowth = {{ dist = \"normal\", mean = {mu}, sd = {sigma} }}\n"
        )
        + &target(
            "every",
            &format!(
                "metric = \"value_every_year\"\nindicator = \"x\"\nfrom = 2022\nto = 2023\ncomparator = \">=\"\nthreshold = {c}"
            ),
        )
        + &target(
            "one_year",
            &format!(
                "metric = \"value_every_year\"\nindicator = \"x\"\nfrom = 2022\nto = 2022\ncomparator = \">=\"\nthreshold = {c}"
            ),
        )
        + &target(
            "value",
            &format!("metric = \"value\"\nindicator = \"x\"\nyear = 2022\ncomparator = \">=\"\nthreshold = {c}"),
        );
    let summary = run(&model(&text), N, SEED);
    // In log points: S_t ~ N(μ, σ²) i.i.d.; the level is ≥ c in year t iff S₁ + … + S_t ≥ a.
    let a = 100.0 * (c / x0).ln();
    let density = |s: f64| (-0.5 * ((s - mu) / sigma).powi(2)).exp() / (sigma * (2.0 * std::f64::consts::PI).sqrt());
    let integrand = |s: f64| density(s) * (1.0 - phi((a - s - mu) / sigma));
    let (lo, hi, panels) = (a, mu + 12.0 * sigma, 20_000);
    let h = (hi - lo) / panels as f64;
    let mut sum = integrand(lo) + integrand(hi);
    for k in 1..panels {
        sum += integrand(lo + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
    }
    let exact = sum * h / 3.0;
    assert_probability("every year ≥ c", summary.targets[0].hits, N, exact);
    let one_year = 1.0 - phi((a - mu) / sigma);
    assert_probability("one year", summary.targets[1].hits, N, one_year);
    assert_eq!(summary.targets[1].hits, summary.targets[2].hits, "one-year value_every_year is value");
    // The lowest year decides: strictly harder than the last year alone.
    assert!(exact < 1.0 - phi((a - 2.0 * mu) / (sigma * 2.0_f64.sqrt())));
}

/// 形成1—2个, 50个左右 and == on a Poisson count: exact Poisson sums.
#[test]
fn between_about_and_equality_on_a_poisson_count_are_exact_poisson_sums() {
    let lambda = 4.5_f64; // 1.5 a year over three years
    let text = header(2024)
        + "[[indicator]]\nid = \"n\"\nkind = \"count\"\nbase = 0\nsource = \"t\"\nadditions = { dist = \"poisson\", mean = 1.5 }\n"
        + &target("between", "metric = \"value\"\nindicator = \"n\"\ncomparator = \"between\"\nthreshold = [3, 5]")
        + &target("equal", "metric = \"change\"\nindicator = \"n\"\nfrom = 2021\nto = 2024\ncomparator = \"==\"\nthreshold = 4")
        // An explicit tolerance: 4 ± 1 is the same interval as [3, 5].
        + &target("about", "metric = \"value\"\nindicator = \"n\"\ncomparator = \"about\"\nthreshold = 4\ntolerance = 1");
    let m = model(&text);
    let summary = run(&m, N, SEED);
    let pmf = |k: u32| (-lambda).exp() * lambda.powi(k as i32) / (1..=k).map(f64::from).product::<f64>();
    assert_probability("between [3, 5]", summary.targets[0].hits, N, pmf(3) + pmf(4) + pmf(5));
    assert_probability("== 4", summary.targets[1].hits, N, pmf(4));
    assert_probability("about 4 ± 1", summary.targets[2].hits, N, pmf(3) + pmf(4) + pmf(5));
    // Same quantity, same interval: the same paths.
    assert_eq!(summary.targets[0].hits, summary.targets[2].hits);
    assert_eq!(summary.targets[0].range, Some([3.0, 5.0]));
    assert!(summary.targets[0].threshold_for_80.is_nan(), "no single threshold for a two-sided test");
    // The summary (with its nulls) reads back.
    let back: feasim::summary::Summary = serde_json::from_str(&crate::util::json(&summary)).expect("reads back");
    assert!(back.targets[0].threshold_for_50.is_nan());
}

/// 6%左右 on a rate: the default tolerance is ±0.5 percentage point; on a level ±5% relative.
#[test]
fn about_uses_the_documented_default_tolerances() {
    let text = header(2022)
        + "[[indicator]]\nid = \"r\"\nkind = \"rate\"\nbase = 50\nsource = \"t\"\nbounds = [-1000, 1000]\nchange = { dist = \"normal\", mean = 0.5, sd = 1.0 }\n"
        + "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\ncompounding = \"log\"\ngrowth = { dist = \"normal\", mean = 5, sd = 3 }\n"
        + &target("rate", "metric = \"value\"\nindicator = \"r\"\ncomparator = \"about\"\nthreshold = 51")
        + &target("level", "metric = \"value\"\nindicator = \"x\"\ncomparator = \"about\"\nthreshold = 105");
    let m = model(&text);
    assert_eq!(m.targets[0].range, Some([50.5, 51.5]));
    assert_eq!(m.targets[1].range, Some([105.0 - 5.25, 105.0 + 5.25]));
    let summary = run(&m, N, SEED);
    assert_probability("rate about 51", summary.targets[0].hits, N, phi(1.0) - phi(0.0));
    let g = |level: f64| (100.0 * (level / 100.0).ln() - 5.0) / 3.0;
    assert_probability("level about 105", summary.targets[1].hits, N, phi(g(110.25)) - phi(g(99.75)));
}

/// 累计: the sum of a deterministic series is exact to the bit, and a change from a year
/// before the base year reads the published value in `history`.
#[test]
fn sums_and_growth_from_a_past_year_are_exact_on_a_deterministic_series() {
    let text = header(2024)
        + "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\ngrowth = { dist = \"fixed\", value = 10 }\n"
        + "history = { source = \"t\", values = { 2019 = 80, 2020 = 90, 2021 = 100 } }\n"
        + &target(
            "sum",
            "metric = \"sum\"\nindicator = \"x\"\nfrom = 2022\nto = 2024\ncomparator = \">=\"\nthreshold = 364",
        )
        + &target(
            "cum",
            "metric = \"cumulative_growth\"\nindicator = \"x\"\nfrom = 2019\nto = 2024\ncomparator = \"<=\"\nthreshold = -10",
        )
        + &target(
            "cagr",
            "metric = \"cagr\"\nindicator = \"x\"\nfrom = 2019\nto = 2024\ncomparator = \">=\"\nthreshold = 6",
        )
        + &target(
            "change",
            "metric = \"change\"\nindicator = \"x\"\nfrom = 2020\nto = 2022\ncomparator = \">=\"\nthreshold = 20",
        );
    let m = model(&text);
    let mut scratch = path::Scratch::new(&m);
    path::simulate(&m, 7, 3, &mut scratch);
    let (x1, x2, x3) = {
        let x1 = 100.0_f64 * (1.0 + 10.0 / 100.0);
        let x2 = x1 * (1.0 + 10.0 / 100.0);
        (x1, x2, x2 * (1.0 + 10.0 / 100.0))
    };
    assert_eq!(scratch.target_values[0].to_bits(), (x1 + x2 + x3).to_bits(), "sum of 2022–2024");
    assert_eq!(scratch.target_values[1].to_bits(), ((x3 / 80.0 - 1.0) * 100.0).to_bits(), "growth since 2019");
    let cagr = ((x3 / 80.0).powf(1.0 / 5.0) - 1.0) * 100.0;
    assert_eq!(scratch.target_values[2].to_bits(), cagr.to_bits(), "five years of CAGR since 2019");
    assert_eq!(scratch.target_values[3].to_bits(), (x1 - 90.0).to_bits(), "change since 2020");
    assert_eq!(scratch.hits, vec![true, false, true, true]);
    assert!(matches!(m.targets[1].metric, Metric::SincePast { past_year: 2019, years: 5, .. }));
}

/// 水质稳定在Ⅱ类或更好: a class scale on a rate; "Ⅱ" is class number 2, and `<= "Ⅱ"` with a
/// normal change from 1.8 has P = Φ(0.2 / 0.2) = Φ(1).
#[test]
fn an_ordered_class_threshold_is_its_class_number() {
    let text = header(2022)
        + "[[indicator]]\nid = \"w\"\nkind = \"rate\"\nunit = \"类\"\nclasses = [\"Ⅰ\", \"Ⅱ\", \"Ⅲ\", \"Ⅳ\", \"Ⅴ\", \"劣Ⅴ\"]\nbounds = [1, 6]\nbase = 1.8\nsource = \"t\"\nchange = { dist = \"normal\", mean = 0, sd = 0.2 }\n"
        + &target(
            "W",
            "metric = \"value_every_year\"\nindicator = \"w\"\nfrom = 2022\nto = 2022\ncomparator = \"<=\"\nthreshold = \"Ⅱ\"",
        );
    let m = model(&text);
    assert_eq!(m.targets[0].threshold, 2.0);
    let summary = run(&m, N, SEED);
    assert_probability("class Ⅱ or better", summary.targets[0].hits, N, phi(1.0));
}

/// A joint target of independent conditions: its probability is the product, and on every path
/// it is hit exactly when both single targets are.
#[test]
fn a_joint_target_of_independent_conditions_is_the_product_and_the_and_on_every_path() {
    let text = header(2022)
        + "[[indicator]]\nid = \"a\"\nkind = \"count\"\nbase = 0\nsource = \"t\"\nadditions = { dist = \"poisson\", mean = 2 }\n"
        + "[[indicator]]\nid = \"b\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\ncompounding = \"log\"\ngrowth = { dist = \"normal\", mean = 3, sd = 2 }\n"
        + &target("A", "metric = \"value\"\nindicator = \"a\"\ncomparator = \">=\"\nthreshold = 2")
        + &target(
            "B",
            "metric = \"cagr\"\nindicator = \"b\"\nfrom = 2021\nto = 2022\ncomparator = \">\"\nthreshold = 4",
        )
        + "[[target]]\nid = \"J\"\n[[target.all]]\nmetric = \"value\"\nindicator = \"a\"\ncomparator = \">=\"\nthreshold = 2\n"
        + "[[target.all]]\nmetric = \"cagr\"\nindicator = \"b\"\nfrom = 2021\nto = 2022\ncomparator = \">\"\nthreshold = 4\n";
    let m = model(&text);
    assert!(matches!(&m.targets[2].metric, Metric::AllOf(c) if c.len() == 2));
    assert_eq!((m.targets[2].comparator, m.targets[2].threshold), (Comparator::Ge, 2.0));
    let mut scratch = path::Scratch::new(&m);
    for p in 0..5_000 {
        path::simulate(&m, SEED, p, &mut scratch);
        assert_eq!(scratch.hits[2], scratch.hits[0] && scratch.hits[1], "path {p}");
        let met = u8::from(scratch.hits[0]) + u8::from(scratch.hits[1]);
        assert_eq!(scratch.target_values[2], f64::from(met), "path {p}: conditions met");
    }
    let summary = run(&m, N, SEED);
    let p_a = 1.0 - 3.0 * (-2.0_f64).exp();
    let p_b = 1.0 - phi((100.0 * 1.04_f64.ln() - 3.0) / 2.0);
    assert_probability("A", summary.targets[0].hits, N, p_a);
    assert_probability("B", summary.targets[1].hits, N, p_b);
    assert_probability("A and B", summary.targets[2].hits, N, p_a * p_b);
    // The honest histogram: the number of conditions met, 0, 1 or 2, whole-number bars.
    let j = &summary.targets[2];
    assert!(j.integer);
    assert_eq!(j.histogram.counts.iter().sum::<u64>(), N);
    assert_eq!(*j.histogram.counts.last().unwrap(), j.hits);
    assert!(j.needed_growth.is_none(), "no single growth to move for a joint target");
}

/// The block engine computes every new form exactly as the per-path reference, and a model
/// restricted to one joint target keeps what its conditions read.
#[test]
fn new_forms_in_blocks_reproduce_the_reference_bit_for_bit() {
    use feasim::engine::{DesignedStreams, Sampling, accumulate_per_path, accumulate_sequential_designed};
    let text = header(2024)
        + "[[indicator]]\nid = \"n\"\nkind = \"count\"\nbase = 0\nsource = \"t\"\nadditions = { dist = \"poisson\", mean = 1.5 }\n"
        + "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\ncompounding = \"log\"\ngrowth = { dist = \"student_t\", mean = 4, sd = 5, df = 4 }\n"
        + "history = { source = \"t\", values = { 2019 = 80, 2021 = 100 } }\n"
        + "[[indicator]]\nid = \"w\"\nkind = \"rate\"\nclasses = [\"I\", \"II\", \"III\"]\nbounds = [1, 3]\nbase = 1.8\nsource = \"t\"\nchange = { dist = \"normal\", mean = 0, sd = 0.3 }\n"
        + &target(
            "every",
            "metric = \"value_every_year\"\nindicator = \"x\"\nfrom = 2022\nto = 2024\ncomparator = \">=\"\nthreshold = 101",
        )
        + &target("between", "metric = \"value\"\nindicator = \"n\"\ncomparator = \"between\"\nthreshold = [3, 5]")
        + &target("about", "metric = \"cagr\"\nindicator = \"x\"\ncomparator = \"about\"\nthreshold = 4")
        + &target("yearly", "metric = \"change_every_year\"\nindicator = \"n\"\ncomparator = \">=\"\nthreshold = 1")
        + &target(
            "sum",
            "metric = \"sum\"\nindicator = \"x\"\nfrom = 2022\nto = 2024\ncomparator = \">=\"\nthreshold = 330",
        )
        + &target(
            "past",
            "metric = \"cumulative_growth\"\nindicator = \"x\"\nfrom = 2019\nto = 2024\ncomparator = \">=\"\nthreshold = 40",
        )
        + &target(
            "class",
            "metric = \"value_every_year\"\nindicator = \"w\"\nfrom = 2022\nto = 2024\ncomparator = \"<=\"\nthreshold = \"II\"",
        )
        + "[[target]]\nid = \"joint\"\nall = [ { metric = \"value\", indicator = \"n\", comparator = \"==\", threshold = 4 }, { metric = \"sum\", indicator = \"x\", from = 2022, to = 2024, comparator = \">=\", threshold = 320 } ]\n";
    let m = model(&text);
    for sampling in [Sampling::Independent, Sampling::Antithetic, Sampling::LatinHypercube] {
        for range in [0..1000u64, 5..77] {
            let streams = DesignedStreams::for_run(11, sampling, 1000);
            let blocks = accumulate_sequential_designed(&m, streams, range.clone());
            let reference = accumulate_per_path(&m, streams, range.clone());
            assert_eq!(
                serde_json::to_string(&blocks).unwrap(),
                serde_json::to_string(&reference).unwrap(),
                "{sampling:?}, paths {range:?}"
            );
        }
    }
    let joint = m.targets.iter().position(|t| t.id == "joint").unwrap();
    let restricted = m.restricted(&[joint]);
    let whole = engine::accumulate_sequential(&m, 5, 0..2000);
    let part = engine::accumulate_sequential(&restricted, 5, 0..2000);
    assert_eq!(whole.hits[joint], part.hits[0], "the restricted model computes the joint target bit for bit");
}

/// Each misuse of the new forms is refused with its place and a fix.
#[test]
fn misuses_are_located_errors() {
    let base = header(2024)
        + "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\ngrowth = { dist = \"normal\", mean = 5, sd = 1 }\n"
        + "history = { source = \"t\", values = { 2020 = 95, 2021 = 100 } }\n"
        + "[[indicator]]\nid = \"n\"\nkind = \"count\"\nbase = 0\nsource = \"t\"\nadditions = { dist = \"poisson\", mean = 1 }\n"
        + "[[indicator]]\nid = \"w\"\nkind = \"rate\"\nclasses = [\"I\", \"II\"]\nbounds = [1, 2]\nbase = 1.5\nsource = \"t\"\nchange = { dist = \"normal\", mean = 0, sd = 0.1 }\n";
    let cases: [(&str, &str, &str); 11] = [
        (
            "metric = \"value\"\nindicator = \"x\"\ncomparator = \"==\"\nthreshold = 110",
            "needs a whole-number quantity",
            "about",
        ),
        (
            "metric = \"value\"\nindicator = \"n\"\ncomparator = \"==\"\nthreshold = 1.5",
            "whole-number threshold",
            "fraction",
        ),
        (
            "metric = \"value\"\nindicator = \"x\"\ncomparator = \"between\"\nthreshold = 110",
            "takes 2 threshold numbers",
            "[low, high]",
        ),
        (
            "metric = \"value\"\nindicator = \"x\"\ncomparator = \"between\"\nthreshold = [120, 110]",
            "low ≤ high",
            "[110, 120]",
        ),
        (
            "metric = \"value\"\nindicator = \"x\"\ncomparator = \">=\"\nthreshold = 110\ntolerance = 1",
            "only used with comparator = \"about\"",
            "about",
        ),
        (
            "metric = \"value\"\nindicator = \"x\"\ncomparator = \"about\"\nthreshold = 0",
            "no default tolerance",
            "tolerance =",
        ),
        (
            "metric = \"growth_every_year\"\nindicator = \"x\"\ncomparator = \"between\"\nthreshold = [1, 9]",
            "cannot test an every-year metric",
            "joint target",
        ),
        (
            "metric = \"cagr\"\nindicator = \"x\"\nfrom = 2019\ncomparator = \">=\"\nthreshold = 5",
            "no published value for it in `history`",
            "2020, 2021",
        ),
        (
            "metric = \"value\"\nindicator = \"w\"\ncomparator = \"<=\"\nthreshold = \"III\"",
            "is not a class of indicator \"w\"",
            "I, II",
        ),
        (
            "metric = \"value\"\nindicator = \"x\"\nall = [ { metric = \"value\", indicator = \"x\", comparator = \">=\", threshold = 1 }, { metric = \"value\", indicator = \"n\", comparator = \">=\", threshold = 1 } ]",
            "cannot stand beside `all`",
            "inside a condition",
        ),
        (
            "all = [ { metric = \"value\", indicator = \"x\", comparator = \">=\", threshold = 1 } ]",
            "at least two conditions",
            "ordinary target",
        ),
    ];
    for (body, message, help) in cases {
        let text = base.clone() + &target("T", body);
        let error = match load_str("case.toml", &text) {
            Ok(_) => panic!("expected an error for:\n{body}"),
            Err(e) => e,
        };
        let rendered = error.to_string();
        assert!(error.first_location().is_some(), "located:\n{rendered}");
        assert!(rendered.contains("case.toml:"), "{rendered}");
        assert!(rendered.contains(message), "message should contain {message:?}:\n{rendered}");
        assert!(rendered.contains(help), "help should contain {help:?}:\n{rendered}");
    }
    // A class scale only on a rate or a count.
    let text = header(2024)
        + "[[indicator]]\nid = \"x\"\nkind = \"level\"\nclasses = [\"I\", \"II\"]\nbase = 100\nsource = \"t\"\ngrowth = { dist = \"normal\", mean = 5, sd = 1 }\n"
        + &target("T", "metric = \"value\"\nindicator = \"x\"\ncomparator = \">=\"\nthreshold = 1");
    let rendered = load_str("case.toml", &text).expect_err("refused").to_string();
    assert!(rendered.contains("only a rate or a count can be on a class scale"), "{rendered}");
}

/// A variant may turn a single target into a joint one (the base's single test is dropped) and
/// back, and may change one field of a condition list by restating the list.
#[test]
fn a_variant_can_make_a_target_joint_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let base = header(2024)
        + "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\ngrowth = { dist = \"normal\", mean = 5, sd = 1 }\n"
        + "[[indicator]]\nid = \"n\"\nkind = \"count\"\nbase = 0\nsource = \"t\"\nadditions = { dist = \"poisson\", mean = 1 }\n"
        + &target("T", "metric = \"value\"\nindicator = \"x\"\ncomparator = \">=\"\nthreshold = 110");
    std::fs::write(dir.path().join("base.toml"), &base).unwrap();
    let variant = dir.path().join("joint.toml");
    std::fs::write(
        &variant,
        "extends = \"base.toml\"\n[[target]]\nid = \"T\"\nall = [ { metric = \"value\", indicator = \"x\", comparator = \">=\", threshold = 110 }, { metric = \"value\", indicator = \"n\", comparator = \"between\", threshold = [1, 4] } ]\n",
    )
    .unwrap();
    let m = feasim::scenario::load(&variant).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(&m.targets[0].metric, Metric::AllOf(c) if c.len() == 2));
    std::fs::write(&variant, "extends = \"joint.toml\"\n[[target]]\nid = \"T\"\nmetric = \"cagr\"\nindicator = \"x\"\ncomparator = \">=\"\nthreshold = 4\n")
        .unwrap();
    let back = dir.path().join("back.toml");
    std::fs::rename(&variant, &back).unwrap();
    std::fs::write(
        &variant,
        "extends = \"base.toml\"\n[[target]]\nid = \"T\"\nall = [ { metric = \"value\", indicator = \"x\", comparator = \">=\", threshold = 110 }, { metric = \"value\", indicator = \"n\", comparator = \"between\", threshold = [1, 4] } ]\n",
    )
    .unwrap();
    let m = feasim::scenario::load(&back).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(m.targets[0].metric, Metric::Cagr { .. }), "{:?}", m.targets[0].metric);
}
