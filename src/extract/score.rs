//! Precision and recall of an extracted catalogue against an answer key.
//!
//! **Matching rule.** An extracted row matches a key row when
//! 1. the extracted row's sentence span (character offsets in the plan) overlaps a place where the
//!    key's `wording` occurs in the plan (a wording with `…` matches its pieces in order, within
//!    one sentence); the key says *what* the plan wrote, the offsets say *where* the row points;
//! 2. the thresholds are the same number (relative difference below 1e-9) — or, for targets
//!    without a number, the same text ("全国平均水平") or both an "… level" of the base year;
//! 3. the units are the same after normalisation (％ → %).
//!
//! Each key row is matched to at most one extracted row and vice versa, in key order, taking the
//! first unused extracted row that matches. Precision = matches / extracted rows, recall = matches
//! / key rows, F1 their harmonic mean.

use super::CatalogueRow;

/// The result of [`score`].
#[derive(Debug, Clone)]
pub struct Score {
    pub extracted: usize,
    pub key: usize,
    pub matched: usize,
    /// Ids of key rows nobody matched (misses).
    pub missed: Vec<String>,
    /// Ids of extracted rows that match no key row (false alarms).
    pub spurious: Vec<String>,
    /// Key rows whose wording is not in the text at all (a broken key).
    pub unlocated: Vec<String>,
}

impl Score {
    pub fn precision(&self) -> f64 {
        if self.extracted == 0 { 0.0 } else { self.matched as f64 / self.extracted as f64 }
    }
    pub fn recall(&self) -> f64 {
        if self.key == 0 { 0.0 } else { self.matched as f64 / self.key as f64 }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "precision {:.3} ({}/{}), recall {:.3} ({}/{}), F1 {:.3}",
            self.precision(),
            self.matched,
            self.extracted,
            self.recall(),
            self.matched,
            self.key,
            self.f1()
        )?;
        if !self.missed.is_empty() {
            write!(f, "; missed {}", self.missed.join(" "))?;
        }
        if !self.spurious.is_empty() {
            write!(f, "; spurious {}", self.spurious.join(" "))?;
        }
        if !self.unlocated.is_empty() {
            write!(f, "; key wording not found in the text: {}", self.unlocated.join(" "))?;
        }
        Ok(())
    }
}

/// Character spans where `wording` occurs in `text` (pieces split at `…` must follow each other
/// within one sentence).
pub fn locate(text: &[char], wording: &str) -> Vec<(usize, usize)> {
    let pieces: Vec<Vec<char>> =
        wording.split(['…', '⋯']).filter(|p| !p.is_empty()).map(|p| p.chars().collect()).collect();
    let Some(first) = pieces.first() else { return Vec::new() };
    let mut spans = Vec::new();
    for start in 0..text.len() {
        if !text[start..].starts_with(first) {
            continue;
        }
        let mut end = start + first.len();
        let mut ok = true;
        for piece in &pieces[1..] {
            match (end..text.len())
                .take_while(|&i| !matches!(text[i], '。' | '\n'))
                .find(|&i| text[i..].starts_with(piece))
            {
                Some(i) => end = i + piece.len(),
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            spans.push((start, end));
        }
    }
    spans
}

fn same_threshold(a: &str, b: &str) -> bool {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        (Err(_), Err(_)) => a.trim() == b.trim() || (a.trim().ends_with(" level") && b.trim().ends_with(" level")),
        _ => false,
    }
}

fn same_unit(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().replace('％', "%");
    norm(a) == norm(b)
}

/// Score `extracted` against `key` on the plan `text`.
pub fn score(text: &str, extracted: &[CatalogueRow], key: &[CatalogueRow]) -> Score {
    let chars: Vec<char> = text.chars().collect();
    let mut used = vec![false; extracted.len()];
    let mut result = Score {
        extracted: extracted.len(),
        key: key.len(),
        matched: 0,
        missed: Vec::new(),
        spurious: Vec::new(),
        unlocated: Vec::new(),
    };
    for k in key {
        let places = locate(&chars, &k.wording);
        if places.is_empty() {
            result.unlocated.push(k.id.clone());
            result.missed.push(k.id.clone());
            continue;
        }
        let found = extracted.iter().enumerate().find(|(i, e)| {
            !used[*i]
                && same_threshold(&e.threshold, &k.threshold)
                && same_unit(&e.unit, &k.unit)
                && match (e.start, e.end) {
                    (Some(s), Some(t)) => places.iter().any(|&(a, b)| a < t && s < b),
                    _ => false,
                }
        });
        match found {
            Some((i, _)) => {
                used[i] = true;
                result.matched += 1;
            }
            None => result.missed.push(k.id.clone()),
        }
    }
    result.spurious = extracted.iter().zip(&used).filter(|(_, u)| !**u).map(|(e, _)| e.id.clone()).collect();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, threshold: &str, unit: &str, wording: &str, span: Option<(usize, usize)>) -> CatalogueRow {
        CatalogueRow {
            id: id.into(),
            threshold: threshold.into(),
            unit: unit.into(),
            wording: wording.into(),
            start: span.map(|s| s.0),
            end: span.map(|s| s.1),
            ..CatalogueRow::default()
        }
    }

    #[test]
    fn matching_needs_place_number_and_unit() {
        let text = "甲达到10%。乙达到10%。";
        let key = [row("K1", "10", "%", "乙达到10%", None)];
        // Right number and unit, wrong sentence: a miss and a false alarm.
        let s = score(text, &[row("E1", "10", "%", "", Some((0, 7)))], &key);
        assert_eq!((s.matched, s.missed.len(), s.spurious.len()), (0, 1, 1));
        let s = score(text, &[row("E1", "10", "%", "", Some((7, 14)))], &key);
        assert_eq!((s.matched, s.f1()), (1, 1.0));
        let s = score(text, &[row("E1", "10", "个", "", Some((7, 14)))], &key);
        assert_eq!(s.matched, 0);
        let s =
            score(text, &[row("E1", "10.0", "％", "", Some((7, 14))), row("E2", "10", "%", "", Some((7, 14)))], &key);
        assert_eq!((s.matched, s.precision(), s.recall()), (1, 0.5, 1.0));
    }

    #[test]
    fn ellipsis_pieces_follow_each_other() {
        let text: Vec<char> = "争取省部共建甲、乙等3个国家重点实验室。".chars().collect();
        assert_eq!(locate(&text, "争取省部共建…等3个国家重点实验室"), [(0, 19)]);
        assert!(locate(&text, "争取…丙").is_empty());
    }
}
