//! Numbers and units as Chinese plans write them: Arabic digits (half- and full-width) and Chinese
//! numerals (一千五百, 两, 十五), the multipliers 万/亿 glued to the unit (1万亿元, 4000亿级, 千亿元,
//! 1000万千瓦), and 百分之… percentages.
//!
//! Money is normalised to 亿元 (1万亿元 → 10000 亿元, 千亿级 → 1000 亿元) because plans and
//! statistics state GDP-like quantities in 亿元; counts written in 万 (2万家) become plain counts
//! (20000 家); other units keep the plan's multiplier (1000 万千瓦, 4 亿吨, 50 万人).

/// A number followed by a unit, found in a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    /// The value in `unit`.
    pub value: f64,
    /// The normalised unit (`亿元`, `%`, `个`, `万千瓦`, …).
    pub unit: &'static str,
    /// Character index of the first digit or numeral, within the scanned slice.
    pub start: usize,
    /// Character index one past the unit.
    pub end: usize,
    /// Where the unit begins (one past the number).
    pub unit_start: usize,
    /// Written with Chinese numerals (slightly less certain to be a quantity).
    pub chinese: bool,
    /// What the unit measures.
    pub class: UnitClass,
}

/// What a unit measures; decides the kind of target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitClass {
    Money,
    Percent,
    PercentagePoints,
    Count,
    /// A place in a ranking (前5名).
    Rank,
    /// Physical quantities and people (万千瓦, 亿吨, 万人, 公里 …).
    Physical,
    /// A multiple (翻一番, 2倍).
    Times,
}

/// Suffixes that may follow a number: (text, normalised unit, factor, class). Longest first
/// within every shared prefix; [`match_unit`] tries them all and keeps the longest match.
const UNITS: &[(&str, &str, f64, UnitClass)] = &[
    ("万亿元", "亿元", 1e4, UnitClass::Money),
    ("千亿元", "亿元", 1e3, UnitClass::Money),
    ("百亿元", "亿元", 1e2, UnitClass::Money),
    ("亿元", "亿元", 1.0, UnitClass::Money),
    ("万亿级", "亿元", 1e4, UnitClass::Money),
    ("千亿级", "亿元", 1e3, UnitClass::Money),
    ("百亿级", "亿元", 1e2, UnitClass::Money),
    ("亿级", "亿元", 1.0, UnitClass::Money),
    ("万亿", "亿元", 1e4, UnitClass::Money),
    ("千亿", "亿元", 1e3, UnitClass::Money),
    ("百亿", "亿元", 1e2, UnitClass::Money),
    ("亿", "亿元", 1.0, UnitClass::Money),
    ("万元", "万元", 1.0, UnitClass::Money),
    ("亿美元", "亿美元", 1.0, UnitClass::Physical),
    ("万美元", "万美元", 1.0, UnitClass::Physical),
    ("万吨标准煤", "万吨标准煤", 1.0, UnitClass::Physical),
    ("微克/立方米", "微克/立方米", 1.0, UnitClass::Physical),
    ("小时", "小时", 1.0, UnitClass::Physical),
    ("岁", "岁", 1.0, UnitClass::Physical),
    ("元", "元", 1.0, UnitClass::Money),
    ("亿千瓦时", "亿千瓦时", 1.0, UnitClass::Physical),
    ("万千瓦", "万千瓦", 1.0, UnitClass::Physical),
    ("千瓦", "千瓦", 1.0, UnitClass::Physical),
    ("亿吨", "亿吨", 1.0, UnitClass::Physical),
    ("万吨", "万吨", 1.0, UnitClass::Physical),
    ("万标箱", "万标箱", 1.0, UnitClass::Physical),
    ("万人次", "万人次", 1.0, UnitClass::Physical),
    ("亿人次", "亿人次", 1.0, UnitClass::Physical),
    ("万人", "万人", 1.0, UnitClass::Physical),
    ("万亩", "万亩", 1.0, UnitClass::Physical),
    ("万辆", "万辆", 1.0, UnitClass::Physical),
    ("万平方米", "万平方米", 1.0, UnitClass::Physical),
    ("平方公里", "平方公里", 1.0, UnitClass::Physical),
    ("公里", "公里", 1.0, UnitClass::Physical),
    ("万家", "家", 1e4, UnitClass::Count),
    ("万户", "户", 1e4, UnitClass::Count),
    ("万个", "个", 1e4, UnitClass::Count),
    ("万项", "项", 1e4, UnitClass::Count),
    ("个百分点", "百分点", 1.0, UnitClass::PercentagePoints),
    ("百分点", "百分点", 1.0, UnitClass::PercentagePoints),
    ("个", "个", 1.0, UnitClass::Count),
    ("家", "家", 1.0, UnitClass::Count),
    ("户", "户", 1.0, UnitClass::Count),
    ("项", "项", 1.0, UnitClass::Count),
    ("所", "所", 1.0, UnitClass::Count),
    ("座", "座", 1.0, UnitClass::Count),
    ("条", "条", 1.0, UnitClass::Count),
    ("处", "处", 1.0, UnitClass::Count),
    ("件", "件", 1.0, UnitClass::Count),
    ("%", "%", 1.0, UnitClass::Percent),
    ("％", "%", 1.0, UnitClass::Percent),
    ("名", "rank", 1.0, UnitClass::Rank),
    ("位", "rank", 1.0, UnitClass::Rank),
    ("倍", "倍", 1.0, UnitClass::Times),
];

/// The longest unit starting at `chars[at..]`: (unit, factor, class, length in characters).
fn match_unit(chars: &[char], at: usize) -> Option<(&'static str, f64, UnitClass, usize)> {
    let mut best: Option<(&'static str, f64, UnitClass, usize)> = None;
    for &(text, unit, factor, class) in UNITS {
        let n = text.chars().count();
        if at + n <= chars.len() && chars[at..at + n].iter().copied().eq(text.chars()) && best.is_none_or(|b| n > b.3) {
            best = Some((unit, factor, class, n));
        }
    }
    best
}

fn ascii_digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

fn chinese_digit(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn chinese_power(c: char) -> Option<u64> {
    Some(match c {
        '十' => 10,
        '百' => 100,
        '千' => 1000,
        _ => return None,
    })
}

/// Value of a run of Chinese numerals below 10 000 (一千五百 = 1500, 十五 = 15, 千 = 1000).
/// `None` for runs that are not a number (五五, 十四五).
pub fn chinese_value(run: &[char]) -> Option<u64> {
    if run.is_empty() {
        return None;
    }
    let mut total = 0u64;
    let mut digit: Option<u64> = None;
    let mut last_power = u64::MAX;
    for &c in run {
        if let Some(d) = chinese_digit(c) {
            if d == 0 {
                continue; // 一百零五: 零 only marks a skipped place
            }
            if digit.is_some() {
                return None; // two digits in a row: a name such as 十四五 or 五五
            }
            digit = Some(d);
        } else if let Some(p) = chinese_power(c) {
            if p >= last_power {
                return None;
            }
            last_power = p;
            total += digit.unwrap_or(1) * p;
            digit = None;
        } else {
            return None;
        }
    }
    let value = total + digit.unwrap_or(0);
    (value > 0).then_some(value)
}

fn is_chinese_numeral(c: char) -> bool {
    chinese_digit(c).is_some() || chinese_power(c).is_some()
}

/// Every number-with-unit in `chars`, in order. Numbers glued to ASCII letters or `+` (5G, 3+5),
/// ordinals (第三), and numbers without a unit (2025年, 9号线, 500千伏) are not returned.
pub fn scan(chars: &[char]) -> Vec<Quantity> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        // 百分之十五, 百分之5
        if chars[i..].starts_with(&['百', '分', '之']) {
            let j = i + 3;
            if let Some((value, end, chinese)) = read_number(chars, j) {
                found.push(Quantity {
                    value,
                    unit: "%",
                    start: i,
                    end,
                    unit_start: end,
                    chinese,
                    class: UnitClass::Percent,
                });
                i = end;
                continue;
            }
        }
        // 翻一番 (doubles), 翻两番 (quadruples).
        if chars[i..].starts_with(&['翻', '一', '番']) || chars[i..].starts_with(&['翻', '两', '番']) {
            let value = if chars[i + 1] == '一' { 2.0 } else { 4.0 };
            found.push(Quantity {
                value,
                unit: "倍",
                start: i,
                end: i + 3,
                unit_start: i + 3,
                chinese: true,
                class: UnitClass::Times,
            });
            i += 3;
            continue;
        }
        let starts_number = ascii_digit(chars[i]).is_some() || is_chinese_numeral(chars[i]);
        // Not the middle of a numeral (十四个 is read from 十), an ordinal (第三), or glued to a name (5G, 3+5).
        let glued_before = i > 0
            && (chars[i - 1].is_ascii_alphabetic()
                || chars[i - 1] == '+'
                || chars[i - 1] == '第'
                || (is_chinese_numeral(chars[i]) && is_chinese_numeral(chars[i - 1])));
        let after_digit = i > 0 && (ascii_digit(chars[i - 1]).is_some() || chars[i - 1] == '.');
        if !starts_number || glued_before || after_digit {
            i += 1;
            continue;
        }
        let Some((value, number_end, chinese)) = read_number(chars, i) else {
            i += 1;
            continue;
        };
        let glued_after =
            number_end < chars.len() && (chars[number_end].is_ascii_alphabetic() || chars[number_end] == '+');
        match match_unit(chars, number_end) {
            Some((unit, factor, class, n)) if !glued_after => {
                found.push(Quantity {
                    value: value * factor,
                    unit,
                    start: i,
                    end: number_end + n,
                    unit_start: number_end,
                    chinese,
                    class,
                });
                i = number_end + n;
            }
            _ => i = number_end.max(i + 1),
        }
    }
    found
}

/// A number at `chars[at..]`: (value, end, written in Chinese numerals).
fn read_number(chars: &[char], at: usize) -> Option<(f64, usize, bool)> {
    if at >= chars.len() {
        return None;
    }
    if ascii_digit(chars[at]).is_some() {
        let mut j = at;
        let mut text = String::new();
        while j < chars.len() {
            if let Some(d) = ascii_digit(chars[j]) {
                text.push(char::from_digit(d, 10)?);
            } else if (chars[j] == '.' || chars[j] == '．')
                && !text.contains('.')
                && j + 1 < chars.len()
                && ascii_digit(chars[j + 1]).is_some()
            {
                text.push('.');
            } else {
                break;
            }
            j += 1;
        }
        return text.parse().ok().map(|v| (v, j, false));
    }
    let mut j = at;
    while j < chars.len() && is_chinese_numeral(chars[j]) {
        j += 1;
    }
    // A run ending in a power may be the multiplier of a unit (千 + 亿元 is read as 千亿元 by the
    // unit table only when a digit precedes): try the whole run, then without its last power.
    for end in (at + 1..=j).rev() {
        if let Some(v) = chinese_value(&chars[at..end]) {
            if match_unit(chars, end).is_some() || end == j {
                return Some((v as f64, end, true));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> (f64, &'static str) {
        let chars: Vec<char> = s.chars().collect();
        let q = scan(&chars);
        assert_eq!(q.len(), 1, "{s}: {q:?}");
        (q[0].value, q[0].unit)
    }

    fn none(s: &str) {
        let chars: Vec<char> = s.chars().collect();
        assert!(scan(&chars).is_empty(), "{s}: {:?}", scan(&chars));
    }

    #[test]
    fn numbers_and_units() {
        assert_eq!(one("力争达到1万亿元"), (10000.0, "亿元"));
        assert_eq!(one("力争实现千亿元"), (1000.0, "亿元"));
        assert_eq!(one("超千亿"), (1000.0, "亿元"));
        assert_eq!(one("打造4000亿级石化产业集群"), (4000.0, "亿元"));
        assert_eq!(one("百亿级数控机床"), (100.0, "亿元"));
        assert_eq!(one("达到1000万千瓦"), (1000.0, "万千瓦"));
        assert_eq!(one("达到4亿吨以上"), (4.0, "亿吨"));
        assert_eq!(one("增长7.7%"), (7.7, "%"));
        assert_eq!(one("达到１５％"), (15.0, "%"));
        assert_eq!(one("百分之十五"), (15.0, "%"));
        assert_eq!(one("新增2万家"), (20000.0, "家"));
        assert_eq!(one("建设十五个"), (15.0, "个"));
        assert_eq!(one("一千五百家"), (1500.0, "家"));
        assert_eq!(one("提高2个百分点"), (2.0, "百分点"));
        assert_eq!(one("进入全国前5名"), (5.0, "rank"));
        assert_eq!(one("比2020年翻一番"), (2.0, "倍"));
        assert_eq!(one("累计15亿美元"), (15.0, "亿美元"));
    }

    #[test]
    fn not_quantities() {
        none("到2025年");
        none("一圈一带两区");
        none("“十四五”时期");
        none("推动9号线延伸");
        none("500千伏输变电");
        none("5G产业");
        none("3+5城市");
        none("一是");
        none("第三方");
        none("2022年1月31日");
        none("辽政发〔2022〕3号");
        none("第十四个五年规划");
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(chinese_value(&['十', '五']), Some(15));
        assert_eq!(chinese_value(&['两', '千']), Some(2000));
        assert_eq!(chinese_value(&['十', '四', '五']), None);
        assert_eq!(chinese_value(&['一', '百', '零', '五']), Some(105));
    }
}
