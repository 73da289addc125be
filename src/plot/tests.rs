//! Tests of the charts on synthetic summaries: every file is written and complete, Chinese text
//! really renders as Chinese glyphs, and degenerate summaries draw without panicking.

use super::*;
use crate::summary::*;
use plotters::prelude::{BitMapBackend, IntoDrawingArea, WHITE};

/// Normal CDF by the Abramowitz–Stegun 7.1.26 erf approximation (enough for synthetic data).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.3275911 * x);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 { 0.5 * (1.0 + erf) } else { 0.5 * (1.0 - erf) }
}

fn quantiles(mean: f64, sd: f64) -> Quantiles {
    let q = |z: f64| mean + z * sd;
    Quantiles {
        min: q(-3.5),
        p05: q(-1.645),
        p10: q(-1.2816),
        p25: q(-0.6745),
        p50: mean,
        p75: q(0.6745),
        p90: q(1.2816),
        p95: q(1.645),
        max: q(3.5),
    }
}

fn histogram(mean: f64, sd: f64, paths: u64, threshold: f64) -> Histogram {
    let (mut low, mut high) = (mean - 2.576 * sd, mean + 2.576 * sd);
    if threshold > low - (high - low) && threshold < high + (high - low) {
        low = low.min(threshold);
        high = high.max(threshold);
    }
    let bins = HISTOGRAM_BINS;
    let edges: Vec<f64> = (0..=bins).map(|k| low + (high - low) * k as f64 / bins as f64).collect();
    let cdf = |x: f64| normal_cdf((x - mean) / sd);
    let counts = edges.windows(2).map(|w| ((cdf(w[1]) - cdf(w[0])) * paths as f64).round() as u64).collect();
    Histogram {
        below: (cdf(low) * paths as f64) as u64,
        above: ((1.0 - cdf(high)) * paths as f64) as u64,
        edges,
        counts,
    }
}

const REGIONS: [&str; 6] = ["沈阳现代化都市圈", "辽宁沿海经济带", "辽西", "辽东", "沈阳市", "大连市"];

/// A Liaoning-like summary: `n_targets` targets over six regions, four indicators with markers.
pub fn synthetic_summary(n_targets: usize, paths: u64) -> Summary {
    let indicators: Vec<IndicatorSummary> = [
        ("shenyang.gdp", "沈阳市地区生产总值", "Shenyang GDP", "亿元", 7249.7, 0.045),
        ("dalian.gdp", "大连市地区生产总值", "Dalian GDP", "亿元", 7825.9, 0.05),
        ("liaoxi.fai_growth", "辽西固定资产投资增速", "Western Liaoning fixed-asset investment growth", "%", 10.0, 0.3),
        ("liaodong.forest", "辽东森林覆盖率", "Eastern Liaoning forest coverage", "%", 65.2, 0.004),
    ]
    .iter()
    .map(|&(id, zh, en, unit, base, sd)| IndicatorSummary {
        id: id.into(),
        label_zh: zh.into(),
        label_en: en.into(),
        unit: unit.into(),
        kind: "level".into(),
        region: REGIONS[0].into(),
        base: Some(base),
        source: Some("辽宁统计年鉴 2022".into()),
        assumption: None,
        note: String::new(),
        history: vec![],
        history_source: None,
        invalid_paths: 0,
        years: (0..4)
            .map(|y| YearQuantiles {
                year: 2021 + y,
                quantiles: quantiles(base * 1.05f64.powi(y), base * sd * (y as f64).sqrt()),
                central: None,
            })
            .collect(),
    })
    .collect();
    let targets: Vec<TargetSummary> = (0..n_targets)
        .map(|i| {
            let region = REGIONS[i % REGIONS.len()];
            let p = ((i as f64 * 0.618034) % 1.0).clamp(0.0, 1.0);
            let hits = (p * paths as f64).round() as u64;
            let prob = Probability::new(hits, paths);
            let (mean, sd, threshold) = (100.0 + i as f64, 5.0 + (i % 7) as f64, 100.0 + i as f64 + 3.0 * (0.5 - p));
            let marker = match i {
                1 => Some(TargetMarker { indicator: "shenyang.gdp".into(), year: 2024, level: 10000.0 }),
                6 => Some(TargetMarker { indicator: "dalian.gdp".into(), year: 2024, level: 10000.0 }),
                7 => Some(TargetMarker { indicator: "dalian.gdp".into(), year: 2023, level: 7825.9 * 1.05f64.powi(2) }),
                8 => Some(TargetMarker { indicator: "dalian.gdp".into(), year: 2024, level: 9950.0 }),
                _ => None,
            };
            TargetSummary {
                id: format!("T{:02}", i + 1),
                label_zh: if i == 1 {
                    "沈阳GDP达到1万亿元".into()
                } else {
                    format!("{region}战略性新兴产业增加值占地区生产总值比重力争达到15%（第{}项）", i + 1)
                },
                label_en: format!("{region} target {} reaches its threshold", i + 1),
                section: "一(四)".into(),
                region: region.into(),
                wording: "力争达到".into(),
                note: String::new(),
                metric: format!("100·x{i}/gdp in 2024 − national.avg"),
                metric_label_zh: format!("指标{i}占地区生产总值的比重 2024年 − 全国平均"),
                metric_label_en: format!("Indicator {i} as a share of GDP in 2024 − national average"),
                unit: if i % 3 == 0 { "亿元".into() } else { "%".into() },
                comparator: [">=", ">", "<=", "<"][i % 4].into(),
                threshold,
                hits,
                invalid: 0,
                probability: prob.probability,
                ci_low: prob.ci_low,
                ci_high: prob.ci_high,
                std_error: (prob.probability * (1.0 - prob.probability) / paths as f64).sqrt(),
                quantiles: quantiles(mean, sd),
                threshold_for_50: mean,
                threshold_for_80: mean - 0.8416 * sd,
                range: None,
                conditions: None,
                histogram: histogram(mean, sd, paths, threshold),
                marker,
                integer: false,
                bounds: None,
                needed_growth: None,
            }
        })
        .collect();
    // Targets on indicator levels, as the Liaoning plan has them: GDP of 1 trillion yuan (a level)
    // and an average growth rate whose required level is derived from the base year.
    let mut targets = targets;
    for (i, threshold, unit, mean, sd) in
        [(1, 10000.0, "亿元", 8400.0, 560.0), (6, 10000.0, "亿元", 9060.0, 700.0), (7, 5.0, "%/yr", 4.9, 1.2)]
    {
        if let Some(t) = targets.get_mut(i) {
            t.threshold = threshold;
            t.unit = unit.into();
            t.comparator = ">=".into();
            t.quantiles = quantiles(mean, sd);
            t.histogram = histogram(mean, sd, paths, threshold);
        }
    }
    if let Some(t) = targets.get_mut(7) {
        t.metric = "average annual growth of dalian.gdp 2021–2023".into();
    }
    let expected: f64 = targets.iter().map(|t| t.probability).sum();
    let counts = (0..=n_targets)
        .map(|k| {
            let z = (k as f64 - expected) / (n_targets as f64).sqrt().max(1.0);
            ((-0.5 * z * z).exp() * paths as f64 / (n_targets as f64).sqrt().max(1.0) / 2.5).round() as u64
        })
        .collect();
    Summary {
        feasim_version: "test".into(),
        scenario: ScenarioInfo {
            name: "liaoning".into(),
            title: "辽宁省推进“一圈一带两区”区域协调发展三年行动方案".into(),
            title_en: String::new(),
            regions_en: Default::default(),
            hash: "0".repeat(64),
            base_year: 2021,
            end_year: 2024,
            notes: String::new(),
        },
        run: RunInfo { paths, seed: 42, sampling: Default::default() },
        regions: REGIONS
            .iter()
            .map(|r| RegionSummary {
                region: r.to_string(),
                targets: targets.iter().filter(|t| t.region == *r).count(),
                all_hit: Probability::new(0, paths),
            })
            .collect(),
        targets,
        all_targets: Probability::new(3, paths),
        targets_hit: TargetsHit { counts, expected },
        indicators,
        not_modelled: vec![],
        correlation_repair: None,
    }
}

/// Width and height of a PNG file, after checking its signature, that every chunk's CRC matches
/// and that it ends with IEND (a complete, uncorrupted file).
fn png_size(path: &Path) -> (u32, u32) {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let data = std::fs::read(path).unwrap();
    assert_eq!(&data[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", path.display());
    let u32_at = |i: usize| u32::from_be_bytes(data[i..i + 4].try_into().unwrap());
    let mut at = 8;
    let mut last = [0u8; 4];
    while at < data.len() {
        let len = u32_at(at) as usize;
        let body = &data[at + 4..at + 8 + len];
        assert_eq!(crc32(body), u32_at(at + 8 + len), "bad CRC in {}", path.display());
        last.copy_from_slice(&data[at + 4..at + 8]);
        at += 12 + len;
    }
    assert_eq!(&last, b"IEND", "{} is truncated", path.display());
    assert_eq!(&data[12..16], b"IHDR");
    (u32_at(16), u32_at(20))
}

fn cjk_font() -> Option<PathBuf> {
    font::installed(true)
}

fn options(language: Language) -> ChartOptions {
    ChartOptions { language, font_path: cjk_font().or_else(|| font::installed(false)), ..Default::default() }
}

#[test]
fn writes_every_chart_as_png_and_svg() {
    let Some(font) = cjk_font() else { return };
    let summary = synthetic_summary(55, 10_000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("charts");
    let report = write_charts(
        &summary,
        &out,
        &ChartOptions { language: Language::Auto, font_path: Some(font), ..Default::default() },
    )
    .unwrap();
    assert_eq!(report.language_used, Language::Chinese);
    assert!(report.warnings.is_empty());
    assert_eq!(report.files.len(), 2 * (2 + summary.indicators.len() + summary.targets.len()));
    for file in &report.files {
        assert!(file.is_file(), "{} missing", file.display());
    }
    for name in ["probability", "targets_hit", "fan/shenyang.gdp", "fan/dalian.gdp", "histogram/T01", "histogram/T55"] {
        let png = out.join(format!("{name}.png"));
        let (w, h) = png_size(&png);
        assert_eq!(w, theme::WIDTH, "{name}");
        assert!(h >= 600, "{name}: height {h}");
        let svg = std::fs::read_to_string(out.join(format!("{name}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{name}.svg incomplete");
        assert!(svg.contains("WenQuanYi Micro Hei") && !svg.contains("feasim-font-"), "{name}.svg font stack");
    }
    // The overview grows with the number of targets.
    let (_, h55) = png_size(&out.join("probability.png"));
    assert!(h55 > 55 * 30, "probability chart too short for 55 rows: {h55}");
    let svg = std::fs::read_to_string(out.join("probability.svg")).unwrap();
    assert!(svg.contains("T02 沈阳GDP达到1万亿元"));
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".feasim-"))
        .collect();
    assert!(leftovers.is_empty());
}

/// Render `text` in `size` pixels and return the RGB buffer.
fn render_text(theme: &theme::Theme, text: &str) -> Vec<u8> {
    let (w, h) = (200u32, 60u32);
    let mut buffer = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
        root.fill(&WHITE).unwrap();
        root.draw_text(text, &theme.style(40.0, theme::TEXT), (5, 5)).unwrap();
        root.present().unwrap();
    }
    buffer
}

#[test]
fn chinese_text_renders_as_glyphs_not_boxes() {
    let Some(path) = cjk_font() else { return };
    let font = font::load(&path).unwrap();
    assert!(font.cjk);
    assert!("沈阳".chars().all(|c| font.has_char(c)), "no glyph ids for 沈阳");
    let theme = theme::Theme { font, language: Language::Chinese, files: None };
    let shen = render_text(&theme, "沈");
    let yang = render_text(&theme, "阳");
    let ink = |b: &[u8]| b.iter().filter(|&&v| v < 128).count();
    assert!(ink(&shen) > 100, "沈 drew almost nothing");
    // Two missing glyphs would draw the same box; real glyphs differ.
    assert_ne!(shen, yang);
    let missing = render_text(&theme, "\u{10FFFD}");
    assert_ne!(shen, missing);
}

#[test]
fn probability_labels_are_drawn_in_the_label_column() {
    let Some(path) = cjk_font() else { return };
    let theme = theme::Theme { font: font::load(&path).unwrap(), language: Language::Chinese, files: None };
    let summary = synthetic_summary(12, 1000);
    let chart = probability::ProbabilityChart::new(&theme, &summary);
    let (w, h) = render::Chart::size(&chart);
    let mut buffer = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (w, h)).into_drawing_area();
        render::Chart::draw(&chart, &canvas::Canvas { root: &root, theme: &theme, per_glyph: true }).unwrap();
        root.present().unwrap();
    }
    // Some dark pixels in the left label column below the header, in every row band.
    let dark_in = |y0: u32, y1: u32| (y0..y1).any(|y| (40..300).any(|x| buffer[((y * w + x) * 3) as usize] < 100));
    assert!(dark_in(h / 3, h / 2));
    assert!(dark_in(h / 2, 2 * h / 3));
}

#[test]
fn english_labels_use_the_english_text() {
    let Some(font) = cjk_font() else { return };
    let summary = synthetic_summary(3, 100);
    let dir = tempfile::tempdir().unwrap();
    let report = write_charts(
        &summary,
        dir.path(),
        &ChartOptions { language: Language::English, font_path: Some(font), ..Default::default() },
    )
    .unwrap();
    assert_eq!(report.language_used, Language::English);
    let svg = std::fs::read_to_string(dir.path().join("probability.svg")).unwrap();
    assert!(svg.contains("Probability of hitting each target"));
    assert!(svg.contains("target 2 reaches its threshold"));
    let fan = std::fs::read_to_string(dir.path().join("fan/shenyang.gdp.svg")).unwrap();
    assert!(fan.contains("Shenyang GDP (100 million yuan)"));
}

#[test]
fn english_charts_use_the_english_title_regions_and_units() {
    let Some(font) = cjk_font() else { return };
    let mut summary = synthetic_summary(3, 100);
    summary.scenario.title_en = "Liaoning regional plan".into();
    summary.scenario.regions_en.insert(REGIONS[0].into(), "Shenyang metropolitan area".into());
    let english = ChartOptions { language: Language::English, font_path: Some(font.clone()), ..Default::default() };
    let dir = tempfile::tempdir().unwrap();
    write_charts(&summary, dir.path(), &english).unwrap();
    let svg = std::fs::read_to_string(dir.path().join("probability.svg")).unwrap();
    assert!(svg.contains("Liaoning regional plan") && !svg.contains("辽宁省推进"), "English title");
    // (The synthetic English labels contain the Chinese region name; the legend must not.)
    assert!(svg.contains("\nShenyang metropolitan area\n"), "English region in the legend");
    // A target in 亿元: its threshold is labelled in English, the unit in brackets.
    let histogram = std::fs::read_to_string(dir.path().join("histogram/T01.svg")).unwrap();
    assert!(histogram.contains("(100 million yuan)") && !histogram.contains("亿元"), "English unit");
    // Chinese charts keep the Chinese names.
    let chinese = ChartOptions { language: Language::Chinese, font_path: Some(font), ..Default::default() };
    let dir = tempfile::tempdir().unwrap();
    write_charts(&summary, dir.path(), &chinese).unwrap();
    let svg = std::fs::read_to_string(dir.path().join("probability.svg")).unwrap();
    assert!(svg.contains(REGIONS[0]) && !svg.contains("Shenyang metropolitan area"));
}

#[test]
fn latin_font_gives_english_labels_and_a_warning() {
    let Some(latin) = font::installed(false) else { return };
    let summary = synthetic_summary(5, 100);
    let dir = tempfile::tempdir().unwrap();
    let report = write_charts(
        &summary,
        dir.path(),
        &ChartOptions { language: Language::Auto, font_path: Some(latin), ..Default::default() },
    )
    .unwrap();
    assert_eq!(report.language_used, Language::English);
    assert_eq!(report.warnings.len(), 1);
    // Region names the font cannot draw are replaced, not drawn as boxes or question marks.
    let svg = std::fs::read_to_string(dir.path().join("probability.svg")).unwrap();
    assert!(svg.contains("Region 1"));
}

fn degenerate(summary: &mut Summary, f: impl Fn(&mut TargetSummary)) {
    summary.targets.iter_mut().for_each(f);
}

/// Summaries at the edges: no paths, one target, certain outcomes, no spread, odd ids.
fn degenerate_cases() -> Vec<(&'static str, Summary)> {
    let mut cases: Vec<(&str, Summary)> = Vec::new();

    // Zero paths: every probability and quantile NaN, empty histograms, no hit counts.
    let mut zero = synthetic_summary(4, 0);
    zero.run.paths = 0;
    zero.targets_hit.counts = vec![0; 5];
    zero.targets_hit.expected = f64::NAN;
    zero.all_targets = Probability::new(0, 0);
    let nan = Quantiles {
        min: f64::NAN,
        p05: f64::NAN,
        p10: f64::NAN,
        p25: f64::NAN,
        p50: f64::NAN,
        p75: f64::NAN,
        p90: f64::NAN,
        p95: f64::NAN,
        max: f64::NAN,
    };
    degenerate(&mut zero, |t| {
        t.histogram = Histogram { edges: vec![], counts: vec![], below: 0, above: 0 };
        t.quantiles = nan;
    });
    for ind in &mut zero.indicators {
        ind.base = None;
        ind.years.iter_mut().for_each(|y| y.quantiles = nan);
    }
    cases.push(("zero paths", zero));

    cases.push(("one target", synthetic_summary(1, 500)));

    let mut certain = synthetic_summary(6, 1000);
    degenerate(&mut certain, |t| {
        let p = if t.id.ends_with(['1', '3', '5']) { 1.0 } else { 0.0 };
        t.probability = p;
        (t.ci_low, t.ci_high) = (p.min(0.996), p.max(0.004));
        t.threshold = 1e9 * (p - 0.5); // far off the histogram on either side
    });
    cases.push(("all probabilities 0 or 1", certain));

    let mut flat = synthetic_summary(3, 1000);
    degenerate(&mut flat, |t| {
        t.quantiles = quantiles(5.0, 0.0);
        t.histogram = Histogram { edges: vec![5.0; 41], counts: vec![25; 40], below: 0, above: 0 };
        t.threshold = 5.0;
        t.marker = None;
    });
    for ind in &mut flat.indicators {
        ind.years.iter_mut().for_each(|y| y.quantiles = quantiles(5.0, 0.0));
        ind.base = Some(5.0);
    }
    cases.push(("identical values", flat));

    let mut no_targets = synthetic_summary(0, 100);
    no_targets.indicators.truncate(1);
    cases.push(("no targets", no_targets));

    let mut odd = synthetic_summary(3, 100);
    odd.targets[0].id = "../a b/c".into();
    odd.targets[1].id = "../a b/c".into();
    odd.targets[2].label_zh = String::new();
    odd.targets[2].histogram.edges.pop(); // malformed: edges do not match counts
    odd.targets[0].invalid = 40;
    odd.indicators[0].years.truncate(1); // a single year
    odd.indicators[1].years.clear();
    cases.push(("odd ids and malformed data", odd));
    cases
}

#[test]
fn degenerate_summaries_draw_without_panicking() {
    if cjk_font().is_none() && font::installed(false).is_none() {
        return;
    }
    for (name, summary) in degenerate_cases() {
        let dir = tempfile::tempdir().unwrap();
        let report =
            write_charts(&summary, dir.path(), &options(Language::Auto)).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        for file in report.files.iter().filter(|f| f.extension().is_some_and(|e| e == "png")) {
            png_size(file);
        }
    }
}

#[test]
fn file_names_are_sanitised_and_unique() {
    assert_eq!(sanitize_file_name("shenyang.gdp"), "shenyang.gdp");
    assert_eq!(sanitize_file_name("a/b c"), "a_b_c");
    assert_eq!(sanitize_file_name(".."), "_..");
    assert_eq!(sanitize_file_name(""), "_");
    assert_eq!(sanitize_file_name("沈阳"), "__");
    let mut names = FileNames::default();
    assert_eq!(names.unique("a/b"), "a_b");
    assert_eq!(names.unique("a_b"), "a_b-2");
    assert_eq!(names.unique("A_B"), "A_B-3");
}

/// Writes the synthetic charts to `<temp dir>/feasim-plot-preview` for looking at them:
/// `cargo test --lib plot::tests::preview -- --ignored`.
#[test]
#[ignore]
fn preview() {
    let out = std::env::temp_dir().join("feasim-plot-preview");
    let summary = synthetic_summary(55, 10_000);
    for (language, dir) in [(Language::Chinese, "zh"), (Language::English, "en")] {
        let report = write_charts(&summary, &out.join(dir), &options(language)).unwrap();
        eprintln!("{dir}: {} files, font {:?}, {:?}", report.files.len(), report.font, report.warnings);
    }
    let latin = ChartOptions { language: Language::Auto, font_path: font::installed(false), ..Default::default() };
    write_charts(&synthetic_summary(8, 1000), &out.join("latin"), &latin).unwrap();
    for (i, (_, summary)) in degenerate_cases().into_iter().enumerate() {
        write_charts(&summary, &out.join(format!("edge{i}")), &options(Language::Auto)).unwrap();
    }
}

/// Decoded RGB pixels, width and height of a PNG file.
fn decode_png(path: &Path) -> (Vec<u8>, u32, u32) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.color_type, frame.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight), "{}", path.display());
    pixels.truncate(frame.buffer_size());
    (pixels, frame.width, frame.height)
}

#[test]
fn png_pixels_are_those_of_plotters_own_bitmap_backend() {
    // A fan chart has every kind of drawing (translucent bands, lines, markers, text); a
    // histogram has translucent bars. Each is written by `render::write` and by plotters' own
    // `BitMapBackend` with its own encoder, and both files are decoded.
    let Some(font) = options(Language::Auto).font_path else { return };
    let theme = theme::Theme { font: font::load(&font).unwrap(), language: Language::English, files: None };
    let summary = synthetic_summary(6, 10_000);
    let dir = tempfile::tempdir().unwrap();
    let fan = fan::FanChart::new(&theme, &summary, &summary.indicators[0], FanBands::Boe);
    let histogram = histogram::HistogramChart::new(&theme, &summary, &summary.targets[1]);
    fn compare(dir: &Path, name: &str, chart: &impl render::Chart, theme: &theme::Theme) {
        render::write(dir, name, chart, theme).unwrap();
        let reference = dir.join(format!("{name}-plotters.png"));
        {
            let root = BitMapBackend::new(&reference, chart.size()).into_drawing_area();
            chart.draw(&canvas::Canvas { root: &root, theme, per_glyph: true }).unwrap();
            root.present().unwrap();
        }
        let (ours, w, h) = decode_png(&dir.join(format!("{name}.png")));
        let (theirs, w2, h2) = decode_png(&reference);
        assert_eq!((w, h), (w2, h2), "{name}");
        assert_eq!((w, h), chart.size(), "{name}");
        let differing = ours.chunks(3).zip(theirs.chunks(3)).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{name}: {differing} pixels differ from plotters' own");
        assert_eq!(&ours[..3], &[255, 255, 255], "{name}: the corner is not the white background");
    }
    compare(dir.path(), "fan", &fan, &theme);
    compare(dir.path(), "histogram", &histogram, &theme);
}
