//! From a plan's text to a draft catalogue of its quantitative targets (`feasim extract`).
//!
//! Chinese plans state their targets in a small number of frames — a subject, a verb or frame
//! (达到, 突破, 力争, 控制在…以内, 年均增长, 每年新增, 进入前N名 …), a number and a unit — inside a
//! document whose headings (一、 （一） 1.) say which part of the plan, and often which region, a
//! sentence belongs to. This module finds those frames with rules, without a segmenter or a model:
//! the frames are few and regular, and rules say *why* a row was produced, which an economist
//! checking the draft needs. Every row carries its sentence and the sentence's character offsets,
//! so a reviewer can check it against the text.
//!
//! What is not a target is skipped by rule, not by list: numbers without a unit (years, document
//! numbers, 9号线, 500千伏), numbers inside quotes and book-title marks (“十四五”, “四个短板”),
//! ordinals (第三, 一是), numbers glued to letters or `+` (5G, 3+5), numbers with no target verb
//! before them, members of a batch (一批千亿级产业集群), and sentences stating the past (a year
//! before the plan, 以来, 同比, 上年 …).
//!
//! The catalogue's columns are those of `seeds/targets.csv` plus `sentence`, `start`, `end` and
//! `confidence`; [`score`] measures a catalogue against an answer key.

pub mod init;
pub mod number;
pub mod score;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use number::{Quantity, UnitClass};

/// One row of a target catalogue (`seeds/targets.csv` and `feasim extract`'s output).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CatalogueRow {
    pub id: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub indicator_zh: String,
    #[serde(default)]
    pub indicator_en: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub comparator: String,
    #[serde(default)]
    pub threshold: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub by_year: String,
    #[serde(default)]
    pub wording: String,
    /// The sentence the row was read from (empty in hand-made catalogues).
    #[serde(default)]
    pub sentence: String,
    /// Character offsets of the sentence in the decoded text (start inclusive, end exclusive).
    #[serde(default)]
    pub start: Option<usize>,
    #[serde(default)]
    pub end: Option<usize>,
    /// How sure the rules are that this is a target, 0–1.
    #[serde(default)]
    pub confidence: Option<f64>,
}

/// A plan's text could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("the file is neither UTF-8 nor GB18030/GBK text (first undecodable byte at offset {offset})")]
pub struct DecodeError {
    pub offset: usize,
}

/// Decode a plan file: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of
/// GBK and GB2312). Returns the text and the encoding's name.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), DecodeError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if !had_errors {
            return Ok((text.into_owned(), encoding.name()));
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((text.to_string(), "UTF-8")),
        Err(utf8) => match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(Cow::Borrowed(text)) => Ok((text.to_string(), "GB18030")),
            Some(Cow::Owned(text)) => Ok((text, "GB18030")),
            None => Err(DecodeError { offset: utf8.valid_up_to() }),
        },
    }
}

/// The years a plan covers: targets fall in `end`, growth is averaged over `start..=end`, and
/// `start - 1` is the base year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    pub start: i64,
    pub end: i64,
}

/// The plan's horizon, from its title and date: an explicit span (2021—2025年), a named five-year
/// plan (十四五), or the document's year and its length (三年行动方案 dated 2022 → 2022–2024).
pub fn horizon(text: &str) -> Horizon {
    let head: String = text.chars().take(600).collect();
    let chars: Vec<char> = head.chars().collect();
    // An explicit span: 2021—2025年, 2022-2024年.
    for i in 0..chars.len().saturating_sub(9) {
        if let (Some(a), Some(b)) = (year_at(&chars, i), year_at(&chars, i + 5)) {
            if matches!(chars[i + 4], '—' | '-' | '–' | '－' | '至' | '~') && b > a && b - a <= 15 {
                return Horizon { start: a, end: b };
            }
        }
    }
    // The title: the first lines, before the body text starts.
    let title: String = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take_while(|l| !l.contains(['。', '，', '；']))
        .take(3)
        .collect::<Vec<_>>()
        .concat();
    let title: String = title.chars().take(120).collect();
    for (name, start) in [("十四五", 2021), ("十五五", 2026), ("十三五", 2016)] {
        if title.contains(name) {
            return Horizon { start, end: start + 4 };
        }
    }
    let length = [("三年", 3), ("两年", 2), ("五年", 5), ("四年", 4)]
        .iter()
        .find(|(word, _)| title.contains(word))
        .map_or(3, |&(_, n)| n);
    // The document's date: the first 20xx年 followed by a month.
    let year = (0..chars.len().saturating_sub(6))
        .find_map(|i| {
            year_at(&chars, i).filter(|_| chars[i + 4] == '年' && chars.get(i + 5).is_some_and(|c| c.is_ascii_digit()))
        })
        .or_else(|| (0..chars.len().saturating_sub(4)).find_map(|i| year_at(&chars, i)))
        .unwrap_or(2025);
    Horizon { start: year, end: year + length - 1 }
}

/// A four-digit year 19xx/20xx at `chars[i..]` not glued to other digits.
fn year_at(chars: &[char], i: usize) -> Option<i64> {
    if i + 4 > chars.len() || (i > 0 && chars[i - 1].is_ascii_digit()) {
        return None;
    }
    if chars.get(i + 4).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let s: String = chars[i..i + 4].iter().collect();
    let y: i64 = s.parse().ok()?;
    (1900..2100).contains(&y).then_some(y)
}

/// Words that introduce a quantitative target, and the comparator they imply.
const CUES: &[(&str, &str)] = &[
    ("力争", ">="),
    ("争取", ">="),
    ("达到", ">="),
    ("达", ">="),
    ("突破", ">"),
    ("超过", ">"),
    ("超", ">"),
    ("高于", ">"),
    ("不少于", ">="),
    ("不低于", ">="),
    ("提高到", ">="),
    ("提高至", ">="),
    ("提升到", ">="),
    ("提升至", ">="),
    ("增加到", ">="),
    ("增至", ">="),
    ("提高", ">="),
    ("提升", ">="),
    ("保持在", ">="),
    ("保持", ">="),
    ("稳定在", ">="),
    ("控制在", "<="),
    ("不超过", "<="),
    ("降至", "<="),
    ("降低到", "<="),
    ("下降到", "<="),
    ("低于", "<"),
    ("下降", ">="),
    ("降低", ">="),
    ("减少", ">="),
    ("增长", ">="),
    ("增速", ">="),
    ("年均", ">="),
    ("累计", ">="),
    ("新增", ">="),
    ("进入", "<="),
    ("实现", ">="),
    ("建设", ">="),
    ("建成", ">="),
    ("打造", ">="),
    ("培育", ">="),
    ("创建", ">="),
    ("新建", ">="),
    ("引进", ">="),
    ("组建", ">="),
    ("新开", ">="),
    ("开通", ">="),
    ("设立", ">="),
];

/// Generic verbs: a number after them is a target, but less surely than after 达到.
const GENERIC_VERBS: &[&str] =
    &["实现", "建设", "建成", "打造", "培育", "创建", "新建", "引进", "组建", "新开", "开通", "设立"];

/// Words that mark a sentence as a statement about the past.
const PAST_MARKERS: &[&str] =
    &["以来", "年来", "上年", "去年", "同比", "截至", "截止", "过去", "已经", "期间", "比上年", "完成了", "已完成"];

/// Suffixes of region names in headings, leads and subjects.
const REGION_SUFFIXES: &[&str] =
    &["都市圈", "经济带", "先导区", "经济区", "城市群", "示范区", "新区", "省", "市", "县"];

/// Verbs that open a heading before the region it is about.
const HEADING_VERBS: &[&str] = &[
    "加快建设",
    "加快推进",
    "加快",
    "推进",
    "建设",
    "提升",
    "打造",
    "加强",
    "推动",
    "深化",
    "构建",
    "优化",
    "强化",
    "全面",
    "大力",
];

#[derive(Default, Clone)]
struct Sections {
    level1: String,
    level2: String,
    level3: String,
    region1: Option<String>,
    region2: Option<String>,
    region3: Option<String>,
}

impl Sections {
    fn label(&self) -> String {
        let mut s = self.level1.clone();
        if !self.level2.is_empty() {
            s.push_str(&format!("({})", self.level2));
        }
        s.push_str(&self.level3);
        s
    }

    fn region(&self) -> Option<String> {
        self.region3.clone().or_else(|| self.region2.clone()).or_else(|| self.region1.clone())
    }
}

const CHINESE_ORDINALS: &str = "一二三四五六七八九十";

/// Extract a draft catalogue from a plan's text.
pub fn extract(text: &str) -> Vec<CatalogueRow> {
    let horizon = horizon(text);
    let mut rows = Vec::new();
    let mut sections = Sections::default();
    let mut offset = 0usize; // character offset of the current line
    for line in text.split('\n') {
        let chars: Vec<char> = line.chars().collect();
        let line_start = offset;
        offset += chars.len() + 1;
        let lead = chars.iter().take_while(|c| c.is_whitespace()).count();
        let body = &chars[lead..];
        if body.is_empty() {
            continue;
        }
        let mut paragraph_region = None;
        let mut skip = 0usize; // characters of heading marker before the body text
        if body[0] == '第'
            && let Some(n) = heading_marker(&body[1..], |c| CHINESE_ORDINALS.contains(c), &['篇', '章', '节'])
        {
            // 第一篇 / 第二章: the parts of a five-year plan, above its 一、 sections.
            sections = Sections {
                level1: body[..=n].iter().collect(),
                region1: region_in_heading(&body[n + 1..]),
                ..Sections::default()
            };
            skip = n + 1;
        } else if let Some(n) = heading_marker(body, |c| CHINESE_ORDINALS.contains(c), &['、']) {
            sections = Sections {
                level1: body[..n - 1].iter().collect(),
                region1: region_in_heading(&body[n..]),
                ..Sections::default()
            };
            skip = n;
        } else if (body[0] == '（' || body[0] == '(')
            && let Some(n) = heading_marker(&body[1..], |c| CHINESE_ORDINALS.contains(c), &['）', ')'])
        {
            sections.level2 = body[1..n].iter().collect();
            sections.region2 = region_in_heading(&body[n + 1..]);
            sections.level3.clear();
            sections.region3 = None;
            skip = n + 1;
        } else if let Some(n) = heading_marker(body, |c| c.is_ascii_digit(), &['.', '．', '、']) {
            sections.level3 = body[..n - 1].iter().collect();
            sections.region3 = region_in_heading(&body[n..]);
            skip = n;
        } else if body.starts_with(&['—', '—']) {
            let end = body.iter().position(|&c| c == '。').unwrap_or(body.len());
            let lead_text: String = body[2..end].iter().collect();
            if !lead_text.contains('，') && has_region_suffix(&lead_text) {
                paragraph_region = Some(lead_text);
            }
        }
        let hidden = hidden_mask(body);
        let mut context = Context {
            horizon,
            section: sections.label(),
            area: sections.region1.clone().unwrap_or_default(),
            region: paragraph_region.or_else(|| sections.region()).unwrap_or_default(),
        };
        for (s, e) in sentences(body, skip) {
            let sentence: Vec<char> = body[s..e].to_vec();
            if let Some(subject) = subject_region(&sentence) {
                context.region = subject;
            }
            if states_the_past(&sentence, horizon) {
                continue;
            }
            let masked: Vec<char> = (s..e).map(|i| if hidden[i] { '□' } else { body[i] }).collect();
            let span = (line_start + lead + s, line_start + lead + e);
            extract_sentence(&sentence, &masked, span, &context, &mut rows);
        }
    }
    for (i, row) in rows.iter_mut().enumerate() {
        row.id = format!("E{:03}", i + 1);
    }
    rows
}

struct Context {
    horizon: Horizon,
    section: String,
    area: String,
    region: String,
}

/// Length of a heading marker (`一、`, `四）`, `1.`) at the start of `body`: numerals then one
/// of `closers`, followed by text.
fn heading_marker(body: &[char], numeral: impl Fn(char) -> bool, closers: &[char]) -> Option<usize> {
    let n = body.iter().take_while(|&&c| numeral(c)).count();
    if n == 0 || n > 3 || n >= body.len() || !closers.contains(&body[n]) {
        return None;
    }
    // 1.5 is a number, not a heading.
    if body.get(n + 1).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(n + 1)
}

fn has_region_suffix(s: &str) -> bool {
    REGION_SUFFIXES.iter().any(|suffix| s.ends_with(suffix))
}

/// The region a heading is about: after its opening verbs, up to the first region suffix.
fn region_in_heading(rest: &[char]) -> Option<String> {
    let end = rest.iter().position(|&c| c == '。' || c == '，').unwrap_or(rest.len());
    let mut title: String = rest[..end].iter().collect();
    loop {
        let before = title.len();
        for verb in HEADING_VERBS {
            if let Some(t) = title.strip_prefix(verb) {
                title = t.to_string();
            }
        }
        if title.len() == before {
            break;
        }
    }
    let chars: Vec<char> = title.chars().collect();
    let ends_region = |end: usize| {
        let candidate: String = chars[..end].iter().collect();
        REGION_SUFFIXES
            .iter()
            .any(|suffix| candidate.ends_with(suffix) && candidate.chars().count() > suffix.chars().count() + 1)
    };
    for end in 2..=chars.len().min(18) {
        let candidate: String = chars[..end].iter().collect();
        // 都市 is the start of 都市圈: take the longest suffix.
        let longer = (end + 1..=(end + 2).min(chars.len())).any(&ends_region);
        // 市场, 市民, 省级: 市 and 省 inside a word, not a place.
        let inside_word = chars.get(end).is_some_and(|&c| "场民政委级内外".contains(c));
        if ends_region(end) && !longer && !inside_word && !candidate.contains('、') && !candidate.contains('“') {
            return Some(candidate);
        }
    }
    None
}

/// A sentence opening with a city or province as its subject (沈阳市中心城市建设…): that region.
fn subject_region(sentence: &[char]) -> Option<String> {
    for n in 2..=3 {
        if sentence.len() > n + 1
            && matches!(sentence[n], '市' | '省')
            && sentence[..n].iter().all(|&c| is_cjk(c))
            && !matches!(sentence[n + 1], '场' | '民' | '政' | '委' | '级' | '县' | '区')
            && !sentence[..n]
                .iter()
                .any(|&c| "全各本我城地推进建设加快提升打造实施支持强化深开展发培育争取都".contains(c))
        {
            return Some(sentence[..=n].iter().collect());
        }
    }
    None
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Characters that are names, not quantities: inside “…”, 《…》, 〔…〕, and the 责任单位 notes.
fn hidden_mask(body: &[char]) -> Vec<bool> {
    let mut hidden = vec![false; body.len()];
    let mut i = 0;
    while i < body.len() {
        let closer = match body[i] {
            '“' => Some('”'),
            '《' => Some('》'),
            '〔' => Some('〕'),
            '"' => Some('"'),
            '（' | '(' if body[i + 1..].iter().take(4).collect::<String>() == "责任单位" => Some('）'),
            _ => None,
        };
        if let Some(closer) = closer
            && let Some(len) = body[i + 1..].iter().position(|&c| c == closer)
        {
            for h in &mut hidden[i..=i + 1 + len] {
                *h = true;
            }
            i += len + 2;
            continue;
        }
        i += 1;
    }
    hidden
}

/// Sentence spans (start, end) in `body` from `from`, split after 。；！？; trimmed.
fn sentences(body: &[char], from: usize) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = from;
    for (i, &c) in body.iter().enumerate().skip(from) {
        if matches!(c, '。' | '；' | '！' | '？' | ';') {
            spans.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < body.len() {
        spans.push((start, body.len()));
    }
    spans
        .into_iter()
        .map(|(s, e)| {
            let s = s + body[s..e].iter().take_while(|c| c.is_whitespace()).count();
            (s, e)
        })
        .filter(|(s, e)| s < e)
        .collect()
}

/// A sentence about the past: a year before the plan (not after 较/比: "较2020年下降10%" is a
/// target) or a marker such as 以来, 同比, 上年.
fn states_the_past(sentence: &[char], horizon: Horizon) -> bool {
    let text: String = sentence.iter().collect();
    if PAST_MARKERS.iter().any(|m| text.contains(m)) {
        return true;
    }
    (0..sentence.len()).any(|i| {
        year_at(sentence, i).is_some_and(|y| {
            y < horizon.start
                && sentence.get(i + 4) == Some(&'年')
                && !(i > 0 && matches!(sentence[i - 1], '较' | '比' | '于' | '到' | '至' | '从' | '自' | '以'))
                && !matches!(sentence.get(i + 5), Some('—' | '-' | '至'))
        })
    })
}

/// Clauses of a sentence: spans split at ， , ： :.
fn clauses(sentence: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, &c) in sentence.iter().enumerate() {
        if matches!(c, '，' | ',' | '：' | ':' | '。' | '；' | ';') {
            if i > start {
                spans.push((start, i));
            }
            start = i + 1;
        }
    }
    if start < sentence.len() {
        spans.push((start, sentence.len()));
    }
    spans
}

/// A cue found before a number: where the first cue starts, where the last one starts and ends,
/// and the comparator the last one implies.
struct Cues {
    first: usize,
    last: usize,
    last_end: usize,
    comparator: &'static str,
}

/// The cues in `text` (the part of a clause before a number).
fn cues_in(text: &[char]) -> Option<Cues> {
    let s: String = text.iter().collect();
    let mut first: Option<usize> = None;
    let mut last: Option<(usize, usize, &'static str)> = None; // (char pos, len, comparator)
    for &(cue, comparator) in CUES {
        let mut from = 0;
        while let Some(byte) = s[from..].find(cue) {
            let byte = from + byte;
            let pos = s[..byte].chars().count();
            let len = cue.chars().count();
            first = Some(first.map_or(pos, |f| f.min(pos)));
            if last.is_none_or(|(p, l, _)| pos + len > p + l || (pos + len == p + l && len > l)) {
                last = Some((pos, len, comparator));
            }
            from = byte + cue.len();
        }
    }
    let (pos, len, comparator) = last?;
    Some(Cues { first: first?, last: pos, last_end: pos + len, comparator })
}

fn contains(text: &[char], word: &str) -> bool {
    text.iter().collect::<String>().contains(word)
}

fn extract_sentence(
    sentence: &[char],
    masked: &[char],
    span: (usize, usize),
    cx: &Context,
    rows: &mut Vec<CatalogueRow>,
) {
    let sentence_text: String = sentence.iter().collect();
    let sentence_year = target_year(masked, cx.horizon);
    let mut last_indicator = String::new();
    for (cs, ce) in clauses(masked) {
        let clause = &masked[cs..ce];
        let quantities = number::scan(clause);
        let first_in_clause = rows.len();
        let mut object_tail = String::new();
        let mut previous_end = 0usize;
        for (n, q) in quantities.iter().enumerate() {
            let prefix = &clause[..q.start];
            // A quantity that qualifies the noun of the next one (培育3个千亿级产业集群, 超百亿元企业
            // 达到50家) is not a target of its own: nothing separates it from the next quantity.
            if let Some(next) = quantities.get(n + 1)
                && !clause[q.end..next.start].iter().any(|&c| matches!(c, '、' | '和' | '及' | '与' | '□'))
                && !matches!(q.class, UnitClass::Count | UnitClass::Rank)
            {
                continue;
            }
            if n > 0 && matches!(quantities[n - 1].class, UnitClass::Count) && quantities[n - 1].end == q.start {
                continue;
            }
            let self_cued = matches!(q.class, UnitClass::Times) && clause[q.start] == '翻';
            let Some(cues) = cues_in(prefix).or_else(|| {
                self_cued.then_some(Cues { first: q.start, last: q.start, last_end: q.start, comparator: ">=" })
            }) else {
                continue;
            };
            if contains(prefix, "一批") || contains(prefix, "若干") || contains(prefix, "一系列") {
                continue;
            }
            let after: String = clause[q.end..].iter().take(2).collect();
            let (suffix, comparator) = match after.as_str() {
                s if s.starts_with("以上") => ("以上", ">="),
                s if s.starts_with("以内") || s.starts_with("以下") => (&s[..6], "<="),
                s if s.starts_with("左右") => ("左右", "~"),
                _ => ("", cues.comparator),
            };
            let mut end = q.end + suffix.chars().count();
            let last_verb: String = clause[cues.last..cues.last_end].iter().collect();
            let generic = GENERIC_VERBS.contains(&last_verb.as_str());
            let subject = clean_subject(&clause[..cues.last], &cx.region);
            let middle = clean_subject(&clause[cues.last_end..q.start], &cx.region);
            let object = object_after(clause, end);
            if object.ends_with("集群") {
                object_tail = "产业集群".into();
            }
            let (kind, unit, spanned, comparator) = classify(q, prefix, comparator);
            let noun = |stem: &str| match q.class {
                UnitClass::Money => format!("{stem}规模"),
                UnitClass::Count if !stem.ends_with("数量") => format!("{stem}数量"),
                _ => stem.to_string(),
            };
            let long = |s: &str| s.chars().count() >= 2;
            let indicator = if generic || matches!(q.class, UnitClass::Count) {
                if long(&object) {
                    end = (end + object.chars().count()).min(clause.len());
                    noun(&object)
                } else if long(&middle) {
                    noun(&middle)
                } else if long(&subject) {
                    if matches!(q.class, UnitClass::Count) { noun(&subject) } else { subject.clone() }
                } else {
                    last_indicator.clone()
                }
            } else if long(&subject) {
                subject.clone()
            } else {
                last_indicator.clone()
            };
            if !indicator.is_empty() {
                last_indicator = indicator.clone();
            }
            let mut wording_start = cues.first.max(previous_end);
            while wording_start < q.start && matches!(clause[wording_start], '、' | '和' | '及' | '与') {
                wording_start += 1;
            }
            previous_end = end;
            let mut confidence: f64 = 0.9;
            if q.chinese {
                confidence -= 0.1;
            }
            if generic {
                confidence -= 0.1;
            }
            if indicator.is_empty() {
                confidence -= 0.2;
            }
            rows.push(CatalogueRow {
                area: cx.area.clone(),
                region: cx.region.clone(),
                section: cx.section.clone(),
                indicator_zh: indicator,
                kind: kind.into(),
                comparator: comparator.into(),
                threshold: format_number(q.value),
                unit,
                by_year: if spanned {
                    format!("{}-{}", cx.horizon.start, sentence_year)
                } else {
                    sentence_year.to_string()
                },
                wording: sentence[cs + wording_start..cs + end].iter().collect(),
                sentence: sentence_text.clone(),
                start: Some(span.0),
                end: Some(span.1),
                confidence: Some((confidence * 100.0).round() / 100.0),
                ..CatalogueRow::default()
            });
        }
        // 5000亿级装备制造、3000亿级汽车和千亿级新一代信息技术产业集群: every member is a cluster.
        if !object_tail.is_empty() {
            for row in &mut rows[first_in_clause..] {
                if row.indicator_zh.ends_with("规模") && !row.indicator_zh.contains("集群") {
                    let stem = row.indicator_zh.trim_end_matches("规模").to_string();
                    row.indicator_zh = format!("{stem}{object_tail}规模");
                }
            }
        }
        if quantities.is_empty() {
            if let Some(row) = qualitative_comparison(sentence, masked, cs, ce, span, cx, sentence_year) {
                rows.push(row);
            }
        }
    }
}

/// Relative targets (增速高于全省平均水平) and directions for a rate (森林覆盖率进一步提高), which
/// carry no number.
fn qualitative_comparison(
    sentence: &[char],
    masked: &[char],
    cs: usize,
    ce: usize,
    span: (usize, usize),
    cx: &Context,
    year: i64,
) -> Option<CatalogueRow> {
    let clause: String = masked[cs..ce].iter().collect();
    let base = CatalogueRow {
        area: cx.area.clone(),
        region: cx.region.clone(),
        section: cx.section.clone(),
        sentence: sentence.iter().collect(),
        start: Some(span.0),
        end: Some(span.1),
        confidence: Some(0.6),
        ..CatalogueRow::default()
    };
    if let Some(level_end) = clause.find("平均水平") {
        for (verb, comparator) in [("不低于", ">="), ("高于", ">"), ("超过", ">"), ("快于", ">")] {
            if let Some(v) = clause[..level_end].find(verb) {
                let subject_chars: Vec<char> = clause[..v].chars().collect();
                let subject = clean_subject(&subject_chars, &cx.region);
                let growth = subject.contains("增速") || subject.contains("增长") || subject.contains("增幅");
                let first = subject_chars
                    .iter()
                    .collect::<String>()
                    .find("力争")
                    .map_or(subject_chars.len(), |b| clause[..b].chars().count());
                return Some(CatalogueRow {
                    indicator_zh: subject,
                    kind: "relative".into(),
                    comparator: comparator.into(),
                    threshold: clause[v + verb.len()..level_end + "平均水平".len()].to_string(),
                    unit: if growth { "%/yr".into() } else { "%".into() },
                    by_year: if growth { format!("{}-{}", cx.horizon.start, year) } else { year.to_string() },
                    wording: sentence[cs + first..ce].iter().collect(),
                    ..base
                });
            }
        }
    }
    for (verb, kind, comparator) in [
        ("提高", "increase", ">"),
        ("提升", "increase", ">"),
        ("上升", "increase", ">"),
        ("下降", "decrease", "<"),
        ("降低", "decrease", "<"),
    ] {
        let trimmed = clause.trim_end();
        if let Some(stem) = trimmed.strip_suffix(verb) {
            let stem = ["进一步", "持续", "稳步", "逐步", "明显", "不断"]
                .iter()
                .fold(stem.to_string(), |s, adv| s.strip_suffix(adv).map_or(s.clone(), str::to_string));
            if ["率", "比重", "占比", "比例"].iter().any(|s| stem.ends_with(s)) {
                let stem_chars: Vec<char> = stem.chars().collect();
                let subject = clean_subject(&stem_chars, &cx.region);
                return Some(CatalogueRow {
                    wording: trimmed[stem.len()..].to_string(),
                    indicator_zh: subject,
                    kind: kind.into(),
                    comparator: comparator.into(),
                    threshold: format!("{} level", cx.horizon.start - 1),
                    unit: "%".into(),
                    by_year: year.to_string(),
                    ..base
                });
            }
        }
    }
    None
}

/// Kind, unit, whether the target spans the years, and the comparator.
fn classify(q: &Quantity, prefix: &[char], comparator: &'static str) -> (&'static str, String, bool, &'static str) {
    let falls = contains(prefix, "下降") || contains(prefix, "降低") || contains(prefix, "减少");
    let per_year = contains(prefix, "年均") || contains(prefix, "每年") || contains(prefix, "年增");
    match q.class {
        UnitClass::Percent if per_year || contains(prefix, "增速") || contains(prefix, "增幅") => {
            ("growth", "%/yr".into(), true, comparator)
        }
        UnitClass::Percent if falls && !contains(prefix, "控制") => ("decline", "%".into(), true, ">="),
        UnitClass::Percent if contains(prefix, "增长") => ("cumulative_growth", "%".into(), true, comparator),
        UnitClass::Percent => ("share", "%".into(), false, comparator),
        UnitClass::PercentagePoints if falls => ("decline", "百分点".into(), true, ">="),
        UnitClass::PercentagePoints => ("change", "百分点".into(), true, comparator),
        UnitClass::Count if contains(prefix, "每年") || contains(prefix, "年均") => {
            ("count_per_year", format!("{}/yr", q.unit), true, comparator)
        }
        UnitClass::Count => ("count", q.unit.into(), false, comparator),
        UnitClass::Rank => ("rank", "rank".into(), false, "<="),
        UnitClass::Money | UnitClass::Physical | UnitClass::Times => ("level", q.unit.into(), false, comparator),
    }
}

/// The target year of a sentence: 到2025年 (or any future 20xx年), else the plan's last year.
fn target_year(sentence: &[char], horizon: Horizon) -> i64 {
    (0..sentence.len())
        .filter_map(|i| year_at(sentence, i).filter(|&y| y >= horizon.start && sentence.get(i + 4) == Some(&'年')))
        .max()
        .unwrap_or(horizon.end)
}

/// The subject before the verb, without connectives, target years and the region already known.
fn clean_subject(prefix: &[char], region: &str) -> String {
    let mut s: String = prefix.iter().filter(|&&c| c != '□').collect();
    s = s.trim().to_string();
    // Drop "到2025年", "全市", "其中" … at the front, repeatedly.
    loop {
        let before = s.clone();
        for lead in [
            "到", "至", "其中", "全市", "全省", "全区", "并", "使", "确保", "推动", "力争", "争取", "实现", "和", "及",
            "、",
        ] {
            if let Some(t) = s.strip_prefix(lead) {
                s = t.to_string();
            }
        }
        let chars: Vec<char> = s.chars().collect();
        if chars.len() >= 5 && chars[..4].iter().all(|c| c.is_ascii_digit()) && chars[4] == '年' {
            s = chars[5..].iter().collect();
        }
        if !region.is_empty() {
            if let Some(t) = s.strip_prefix(region) {
                s = t.to_string();
            }
        }
        if s == before {
            break;
        }
    }
    loop {
        let before = s.clone();
        for tail in ["力争", "争取", "要", "将", "年均", "均", "分别", "预计", "的", "等"] {
            if let Some(t) = s.strip_suffix(tail) {
                s = t.to_string();
            }
        }
        if s == before {
            break;
        }
    }
    s
}

/// The noun after a quantity (建设15个现代农业产业园、… → 现代农业产业园), up to the next member of
/// an enumeration.
fn object_after(clause: &[char], from: usize) -> String {
    let mut s = String::new();
    for &c in clause.iter().skip(from) {
        if matches!(c, '、' | '，' | '。' | '；' | '和' | '及' | '等' | '□') || c.is_ascii_digit() {
            break;
        }
        s.push(c);
    }
    let chars: Vec<char> = s.chars().collect();
    // Stop before a following quantity written in Chinese numerals with a unit (…园、三个…).
    let end = number::scan(&chars).first().map_or(chars.len(), |q| q.start);
    chars[..end].iter().collect::<String>().trim_start_matches("以上").to_string()
}

/// A number as plans and CSVs write it: no trailing zeros, no exponent.
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        let s = format!("{value:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Write a catalogue as CSV.
pub fn write_csv(rows: &[CatalogueRow], out: impl std::io::Write) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    for row in rows {
        writer.serialize(row)?;
    }
    writer.flush()?;
    Ok(())
}

/// Read a catalogue (extract's output or a hand-made one such as `seeds/targets.csv`).
pub fn read_csv(text: &str) -> csv::Result<Vec<CatalogueRow>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    reader.deserialize().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<CatalogueRow> {
        extract(text)
    }

    #[test]
    fn a_level_target_and_a_share() {
        let r = rows(
            "辽宁省三年行动方案\n2022年1月31日\n　　一、总体要求\n　　沈阳市地区生产总值力争达到1万亿元，城镇化率超过85%。\n",
        );
        assert_eq!(r.len(), 2, "{r:#?}");
        assert_eq!((r[0].threshold.as_str(), r[0].unit.as_str(), r[0].kind.as_str()), ("10000", "亿元", "level"));
        assert_eq!(r[0].region, "沈阳市");
        assert_eq!(r[0].indicator_zh, "地区生产总值");
        assert_eq!(r[0].by_year, "2024");
        assert_eq!((r[1].comparator.as_str(), r[1].kind.as_str()), (">", "share"));
        let text: Vec<char> = "辽宁省三年行动方案\n2022年1月31日\n　　一、总体要求\n　　沈阳市地区生产总值力争达到1万亿元，城镇化率超过85%。\n".chars().collect();
        let sentence: String = text[r[0].start.unwrap()..r[0].end.unwrap()].iter().collect();
        assert_eq!(sentence, r[0].sentence);
    }

    #[test]
    fn past_facts_names_and_dates_are_skipped() {
        let r = rows(
            "某市三年行动方案\n2023年3月1日\n2022年全市地区生产总值达到5000亿元，增长5%。落实“十四五”规划和“一圈一带两区”部署，一是推进9号线建设。1小时交通圈基本建成。\n",
        );
        assert!(r.is_empty(), "{r:#?}");
    }

    #[test]
    fn growth_ranks_and_counts_per_year() {
        let r = rows(
            "某省五年规划\n2021年2月1日\n　　招商引资到位资金年均增长10%。班列开行数量力争进入全国前5名。每年新增10户使用地理标志的市场主体。\n",
        );
        let kinds: Vec<_> = r.iter().map(|r| (r.kind.as_str(), r.unit.as_str(), r.threshold.as_str())).collect();
        assert_eq!(kinds, [("growth", "%/yr", "10"), ("rank", "rank", "5"), ("count_per_year", "户/yr", "10")]);
        assert_eq!(r[0].by_year, "2021-2025");
    }

    #[test]
    fn enumerated_counts_and_clusters() {
        let r = rows(
            "三年行动方案\n2022年1月1日\n建设15个现代农业产业园、3个优势特色产业集群和5个农业现代化示范区。重点建设5000亿级装备制造、3000亿级汽车和千亿级新一代信息技术产业集群。\n",
        );
        let got: Vec<_> = r.iter().map(|r| (r.threshold.as_str(), r.unit.as_str(), r.indicator_zh.as_str())).collect();
        assert_eq!(
            got,
            [
                ("15", "个", "现代农业产业园数量"),
                ("3", "个", "优势特色产业集群数量"),
                ("5", "个", "农业现代化示范区数量"),
                ("5000", "亿元", "装备制造产业集群规模"),
                ("3000", "亿元", "汽车产业集群规模"),
                ("1000", "亿元", "新一代信息技术产业集群规模"),
            ]
        );
    }

    #[test]
    fn relative_and_direction_targets() {
        let r = rows("三年行动方案\n2022年1月1日\n地区生产总值年均增速高于全省平均水平，森林覆盖率进一步提高。\n");
        assert_eq!(r.len(), 2, "{r:#?}");
        assert_eq!(
            (r[0].kind.as_str(), r[0].threshold.as_str(), r[0].unit.as_str()),
            ("relative", "全省平均水平", "%/yr")
        );
        assert_eq!((r[1].kind.as_str(), r[1].threshold.as_str()), ("increase", "2021 level"));
    }

    #[test]
    fn horizons() {
        assert_eq!(horizon("某市“十四五”规划\n"), Horizon { start: 2021, end: 2025 });
        assert_eq!(horizon("行动方案（2023—2025年）\n"), Horizon { start: 2023, end: 2025 });
        assert_eq!(horizon("三年行动方案\n2022年1月31日"), Horizon { start: 2022, end: 2024 });
    }

    #[test]
    fn gbk_is_detected() {
        let (bytes, _, _) = encoding_rs::GBK.encode("地区生产总值力争达到1万亿元。");
        let (text, encoding) = decode(&bytes).unwrap();
        assert_eq!(text, "地区生产总值力争达到1万亿元。");
        assert_eq!(encoding, "GB18030");
        assert!(decode("达到".as_bytes()).is_ok());
    }
}
