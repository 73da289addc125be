use super::*;
use crate::analysis::{sensitivity as sens, sweep as sweeper};
use crate::engine::{self, RunConfig};

/// Two regions, a published base and an uncertain one, a derived share, a correlation, and
/// labels and notes full of markup that must come out escaped.
const SCENARIO: &str = r#"
[scenario]
name = "page"
title = "Plan <script>alert('title')</script>"
base_year = 2021
end_year = 2024
notes = "notes </script><b>bold</b>"

[[indicator]]
id = "a.gdp"
label_zh = "甲市GDP"
label_en = "City A GDP <img src=x onerror=alert(1)>"
kind = "level"
region = "A"
base = 100
source = "Statistical yearbook & bulletin"
growth = { dist = "normal", mean = 5, sd = 2 }

[[indicator]]
id = "b.gdp"
label_zh = "乙市GDP"
label_en = "City B GDP"
kind = "level"
region = "B"
base_dist = { dist = "normal", mean = 50, sd = 1 }
assumption = "no statistic; \"about 50\""
growth = { dist = "normal", mean = 4, sd = 3 }

[[indicator]]
id = "a.share"
label_zh = "甲市占比"
label_en = "Share of A"
kind = "derived"
region = "A"
unit = "%"
expr = "100 * a.gdp / (a.gdp + b.gdp)"

[[correlation]]
between = ["a.gdp", "b.gdp"]
rho = 0.5

[[target]]
id = "T1"
label_zh = "甲市GDP达到120"
label_en = "A reaches 120 </td></tr>"
region = "A"
metric = "value"
indicator = "a.gdp"
year = 2024
comparator = ">="
threshold = 120

[[target]]
id = "T2"
label_zh = "乙市年均增长4%"
label_en = "B grows 4% a year"
region = "B"
metric = "cagr"
indicator = "b.gdp"
from = 2021
to = 2024
comparator = ">="
threshold = 4

[[target]]
id = "T3"
label_zh = "甲市占比不超过68%"
label_en = "A's share at most 68%"
region = "A"
metric = "value"
indicator = "a.share"
year = 2024
comparator = "<="
threshold = 68
"#;

struct Built {
    model: Model,
    summary: Summary,
    sensitivity: SensitivityReport,
    sweeps: Vec<SweepReport>,
}

fn build() -> Built {
    let model = match crate::scenario::load_str("page.toml", SCENARIO) {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    };
    let seed = 7;
    let summary = engine::run(&model, &RunConfig { paths: 4096, seed, ..RunConfig::default() }, &|_| {});
    let config = sens::SensitivityConfig { paths: 2048, seed, kinds: vec![], mean_shift: None, batch: sens::BATCH };
    let plan = sens::plan(&model, &config);
    let sensitivity = sens::run(&model, &plan, &config, &|_| {}).unwrap();
    let specs: Vec<sweeper::SweepSpec> = drivers_to_sweep(&sensitivity, 3)
        .iter()
        .map(|id| {
            let param = params::find(&model, id).unwrap();
            let (from, to) = params::default_range(&model, &param);
            sweeper::SweepSpec { param, from, to, steps: 5 }
        })
        .collect();
    let sweeps = vec![sweeper::run(&model, &specs, 2048, seed, &|_| {}).unwrap()];
    Built { model, summary, sensitivity, sweeps }
}

fn page_of(b: &Built, language: Language) -> String {
    page(&ReportInput {
        model: &b.model,
        summary: &b.summary,
        sensitivity: Some(&b.sensitivity),
        sweeps: &b.sweeps,
        command: "feasim report page.toml --paths 4096 --seed 7 <x>".into(),
        language,
        top: 3,
    })
}

#[test]
fn every_target_has_a_card_a_table_row_and_its_charts() {
    let b = build();
    let html = page_of(&b, Language::English);
    for t in &b.summary.targets {
        assert_eq!(html.matches(&format!("id=\"card-{}\"", t.id)).count(), 1, "one card for {}", t.id);
        assert!(
            html.contains(&format!("<a href=\"#card-{0}\">{0}</a>", t.id)),
            "table row links to the card of {}",
            t.id
        );
    }
    let table = &html[html.find("id=\"target-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(table.matches("<tr>").count(), 1 + b.summary.targets.len(), "header and one row per target");
    // Three charts per card (histogram, fan, tornado).
    assert_eq!(html.matches("<svg class=\"chart").count(), 3 * b.summary.targets.len());
}

#[test]
fn sortable_table_carries_numeric_sort_keys() {
    let b = build();
    let html = page_of(&b, Language::Chinese);
    assert!(html.contains("class=\"sortable\""));
    for t in &b.summary.targets {
        // The P(hit) cell sorts by the exact probability; the 50%/80% thresholds by their values.
        assert!(html.contains(&format!("data-v=\"{}\"", t.probability)), "{}: probability sort key", t.id);
        assert!(html.contains(&format!("data-v=\"{}\"", t.threshold_for_80)), "{}: threshold sort key", t.id);
    }
    assert_eq!(html.matches("data-type=\"num\"").count(), 8);
}

#[test]
fn strings_from_the_scenario_are_escaped() {
    let b = build();
    let html = page_of(&b, Language::English);
    for raw in ["<script>alert('title')", "<img src=x", "</td></tr>\"", "<b>bold</b>", "<x>"] {
        assert!(!html.contains(raw), "unescaped {raw:?}");
    }
    assert!(html.contains("Plan &lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;"));
    assert!(html.contains("Statistical yearbook &amp; bulletin"));
    // Exactly the page's own two scripts.
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);
}

#[test]
fn no_reference_leaves_the_file() {
    let html = page_of(&build(), Language::English);
    for external in ["http://", "https://", "src=\"", "href=\"/", "@import", "url("] {
        assert!(!html.contains(external), "the page refers to something outside it: {external}");
    }
}

#[test]
fn both_languages_are_in_the_page_and_the_default_follows_the_language() {
    let b = build();
    let zh = page_of(&b, Language::Chinese);
    let en = page_of(&b, Language::English);
    assert!(zh.contains("<html lang=\"zh-CN\" class=\"show-zh\">"));
    assert!(en.contains("<html lang=\"en\" class=\"show-en\">"));
    for html in [&zh, &en] {
        assert!(html.contains("甲市GDP达到120") && html.contains("A reaches 120 &lt;/td&gt;&lt;/tr&gt;"));
        assert!(html.contains("达成概率") && html.contains("P(hit)"));
    }
}

#[test]
fn sliders_hold_the_sweep_and_start_at_the_value_as_written() {
    let b = build();
    let html = page_of(&b, Language::English);
    let start = html.find("id=\"whatif-data\">").unwrap() + "id=\"whatif-data\">".len();
    let json = &html[start..start + html[start..].find("</script>").unwrap()];
    let whatifs = what_ifs(&b.sensitivity, &b.sweeps, 3);
    assert!(!whatifs.is_empty());
    assert_eq!(json, escape::script_json(&serde_json::to_string(&whatifs).unwrap()));
    let sliders: usize = whatifs.values().map(Vec::len).sum();
    assert_eq!(html.matches("type=\"range\"").count(), sliders);
    // T1's strongest driver is its own growth mean; the slider starts at the grid point equal to
    // the value as written (the middle of the default range) and shows the sweep's P there.
    let t1 = &whatifs["T1"];
    let w = t1.iter().find(|w| w.param == "a.gdp:mean").expect("a.gdp:mean is swept for T1");
    assert_eq!(w.values.len(), 5);
    assert_eq!(nearest(&w.values, w.value), 2);
    let curve = &b.sweeps[0].sweeps.iter().find(|s| s.param == "a.gdp:mean").unwrap().curves;
    let point = &curve.iter().find(|c| c.target == "T1").unwrap().points[2];
    assert_eq!(w.p[2], point.probability.probability);
    assert!(html.contains(&format!("data-p=\"{}\"", w.p[2])));
    // Higher growth, higher chance: the curve rises on common random numbers.
    assert!(w.p.windows(2).all(|p| p[0] <= p[1]), "{:?}", w.p);
}

#[test]
fn findings_name_the_least_and_most_likely_targets_and_the_strongest_assumption() {
    let b = build();
    let input = ReportInput {
        model: &b.model,
        summary: &b.summary,
        sensitivity: Some(&b.sensitivity),
        sweeps: &b.sweeps,
        command: String::new(),
        language: Language::English,
        top: 3,
    };
    let f = findings(&input);
    let least = b.summary.targets.iter().min_by(|a, b| a.probability.total_cmp(&b.probability)).unwrap();
    let most = b.summary.targets.iter().max_by(|a, b| a.probability.total_cmp(&b.probability)).unwrap();
    assert!(f[0].en.starts_with("Least likely") && f[0].en.contains(&format!("({})", least.id)), "{}", f[0].en);
    assert!(f[1].en.starts_with("Most likely") && f[1].en.contains(&format!("({})", most.id)), "{}", f[1].en);
    let strongest =
        b.sensitivity.parameters.iter().max_by(|a, b| a.max_abs_difference.total_cmp(&b.max_abs_difference)).unwrap();
    let words = param_words(&b.model, &strongest.id);
    assert!(f.iter().any(|x| x.en.contains(&words.en)), "the strongest assumption {} is named", strongest.id);
    // T2 and T3 (a share of a.gdp + b.gdp) rest on b.gdp's uncertain base.
    assert!(f.iter().any(|x| x.en.starts_with("2 targets rest")));
}

#[test]
fn the_table_says_which_targets_rest_on_a_judgement() {
    let b = build();
    let html = page_of(&b, Language::English);
    let table = &html[html.find("id=\"target-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    // T1 reads a published base; T2 and the share T3 read b.gdp's uncertain base.
    assert_eq!(table.matches(">cited statistic<").count(), 1);
    assert_eq!(table.matches(">judgement (b.gdp)<").count(), 2);
    // The assumptions section has the judgement's text, escaped.
    assert!(html.contains("judgement: no statistic; &quot;about 50&quot;"));
}

#[test]
fn drivers_to_sweep_are_the_distinct_top_movers() {
    let b = build();
    let drivers = drivers_to_sweep(&b.sensitivity, 3);
    let mut expected = Vec::new();
    for t in &b.sensitivity.targets {
        for (p, _) in b.sensitivity.top_movers(&t.id, 3) {
            expected.push(p.id.clone());
        }
    }
    expected.sort();
    expected.dedup();
    let mut got = drivers.clone();
    got.sort();
    assert_eq!(got, expected);
    assert!(drivers.len() <= 3 * b.sensitivity.targets.len());
}

#[test]
fn a_joint_targets_test_is_said_in_words_in_the_table() {
    let mut b = build();
    b.summary.targets[0].conditions = Some(2);
    let metric = b.summary.targets[0].metric.clone();
    let html = page_of(&b, Language::Chinese);
    let table = &html[html.find("id=\"target-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(table.contains("2 项条件全部满足") && table.contains("all 2 conditions"), "both languages");
    assert!(!table.contains(&esc(&metric)), "the long metric stays on the card, not in the table");
    assert!(html.contains(&esc(&metric)), "the card still spells the conditions out");
}
