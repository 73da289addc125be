//! Units with scale: what the units Chinese plans use mean, so that a threshold written in 万亿元
//! can be compared with an indicator kept in 亿元, and so that English output can name them.
//!
//! A unit string parses into a [`Unit`]: its dimension (what it measures), its scale to the
//! dimension's base unit (亿元 = 10^8 元), its canonical Chinese spelling and its English name.
//! Units feasim does not know (`index`, `万标准煤`, …) are kept verbatim: they are compatible
//! only with the same string, at scale 1. A trailing `/yr` or `/年` makes a per-year unit of the
//! same kind (`户/yr`), compatible only with other per-year units of that kind.

/// What a unit measures. Two units can be converted into each other only if their dimensions
/// are equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dimension {
    /// Chinese yuan (base 元).
    Money,
    /// US dollars (base 美元).
    Dollars,
    /// People (base 人).
    People,
    /// Pieces, projects, items (base 个).
    Pieces,
    /// Firms, enterprises (base 家).
    Firms,
    /// Households (base 户).
    Households,
    /// Percent or percentage points (base %). A change in a percentage is in percentage points;
    /// both are written against the same numbers, so they convert 1:1.
    Percent,
    /// A growth rate in percent per year (base %/yr).
    GrowthRate,
    /// Electric power (base 千瓦, kW).
    Power,
    /// Mass (base 吨, t).
    Mass,
    /// Containers (base 标箱, TEU).
    Containers,
    /// Trains (base 列).
    Trains,
    /// Length (base 公里, km).
    Length,
    /// Area (base 平方公里, km²).
    Area,
    /// Land area in mu (base 亩); not converted to km² (plans keep them apart).
    Mu,
    /// Volume (base 立方米, m³).
    Volume,
    /// A plain ratio (base 1).
    Ratio,
    /// A rank (1 = first).
    Rank,
    /// Something measured per year, of the dimension inside.
    PerYear(Box<Dimension>),
    /// A unit feasim does not know, kept verbatim (compatible only with itself).
    Unknown(String),
}

/// A parsed unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub dimension: Dimension,
    /// How many base units one of this unit is (亿元 → 1e8).
    pub scale: f64,
    /// The canonical Chinese spelling (`亿元`; `%`, `%/yr` and unknown units as written).
    pub zh: String,
    /// The English name (`100 million yuan`).
    pub en: String,
}

/// (spellings, dimension, scale, English name). The first spelling is the canonical Chinese one.
type Entry = (&'static [&'static str], Dimension, f64, &'static str);

static TABLE: &[Entry] = &[
    (&["元", "yuan"], Dimension::Money, 1.0, "yuan"),
    (&["千元"], Dimension::Money, 1e3, "1,000 yuan"),
    (&["万元"], Dimension::Money, 1e4, "10,000 yuan"),
    (&["百万元"], Dimension::Money, 1e6, "million yuan"),
    (&["亿元", "100 million yuan"], Dimension::Money, 1e8, "100 million yuan"),
    (&["万亿元", "trillion yuan"], Dimension::Money, 1e12, "trillion yuan"),
    (&["美元", "USD"], Dimension::Dollars, 1.0, "US dollars"),
    (&["万美元"], Dimension::Dollars, 1e4, "10,000 US dollars"),
    (&["亿美元"], Dimension::Dollars, 1e8, "100 million US dollars"),
    (&["人"], Dimension::People, 1.0, "people"),
    (&["万人"], Dimension::People, 1e4, "10,000 people"),
    (&["个"], Dimension::Pieces, 1.0, "units"),
    (&["家"], Dimension::Firms, 1.0, "firms"),
    (&["万家"], Dimension::Firms, 1e4, "10,000 firms"),
    (&["户"], Dimension::Households, 1.0, "households"),
    (&["万户"], Dimension::Households, 1e4, "10,000 households"),
    (&["%", "％", "percent"], Dimension::Percent, 1.0, "%"),
    (&["百分点", "个百分点", "pp"], Dimension::Percent, 1.0, "pp"),
    (&["%/yr", "%/年", "％/年"], Dimension::GrowthRate, 1.0, "%/yr"),
    (&["千瓦", "kW"], Dimension::Power, 1.0, "kW"),
    (&["万千瓦"], Dimension::Power, 1e4, "10,000 kW"),
    (&["亿千瓦"], Dimension::Power, 1e8, "100 million kW"),
    (&["吨", "t"], Dimension::Mass, 1.0, "tonnes"),
    (&["万吨"], Dimension::Mass, 1e4, "10,000 tonnes"),
    (&["亿吨"], Dimension::Mass, 1e8, "100 million tonnes"),
    (&["标箱", "TEU"], Dimension::Containers, 1.0, "TEU"),
    (&["万标箱"], Dimension::Containers, 1e4, "10,000 TEU"),
    (&["列"], Dimension::Trains, 1.0, "trains"),
    (&["公里", "千米", "km"], Dimension::Length, 1.0, "km"),
    (&["平方公里", "平方千米", "km²"], Dimension::Area, 1.0, "km²"),
    (&["亩"], Dimension::Mu, 1.0, "mu"),
    (&["万亩"], Dimension::Mu, 1e4, "10,000 mu"),
    (&["立方米", "m³"], Dimension::Volume, 1.0, "m³"),
    (&["万立方米"], Dimension::Volume, 1e4, "10,000 m³"),
    (&["亿立方米"], Dimension::Volume, 1e8, "100 million m³"),
    (&["ratio", "比值"], Dimension::Ratio, 1.0, "ratio"),
    (&["rank", "名", "位", "名次"], Dimension::Rank, 1.0, "rank"),
];

impl Unit {
    /// Parse a unit as written (surrounding spaces ignored). Never fails: an unknown unit is
    /// kept verbatim.
    pub fn parse(text: &str) -> Unit {
        let text = text.trim();
        if let Some(unit) = known(text) {
            return unit;
        }
        for suffix in ["/yr", "/年", "/year", "每年"] {
            if let Some(inner) = text.strip_suffix(suffix).map(str::trim)
                && !inner.is_empty()
                && let Some(unit) = known(inner)
            {
                return Unit {
                    dimension: Dimension::PerYear(Box::new(unit.dimension)),
                    scale: unit.scale,
                    zh: format!("{}/年", unit.zh),
                    en: format!("{} per year", unit.en),
                };
            }
        }
        Unit { dimension: Dimension::Unknown(text.to_string()), scale: 1.0, zh: text.to_string(), en: text.to_string() }
    }

    /// Whether a number in this unit is known (not kept verbatim).
    pub fn is_known(&self) -> bool {
        !matches!(self.dimension, Dimension::Unknown(_))
    }

    /// Whether values in `self` can be converted into `other`.
    pub fn compatible(&self, other: &Unit) -> bool {
        self.dimension == other.dimension
    }

    /// `value` in this unit expressed in `to`, or `None` when the units measure different things.
    pub fn convert(&self, value: f64, to: &Unit) -> Option<f64> {
        if !self.compatible(to) {
            return None;
        }
        if self.scale == to.scale { Some(value) } else { Some(value * self.scale / to.scale) }
    }

    /// Units of the same dimension this module knows, canonical spellings (for hints).
    pub fn same_kind(&self) -> Vec<&'static str> {
        let Some(dimension) = (match &self.dimension {
            Dimension::Unknown(_) | Dimension::PerYear(_) => None,
            d => Some(d.clone()),
        }) else {
            return Vec::new();
        };
        TABLE.iter().filter(|(_, d, _, _)| *d == dimension).map(|(names, ..)| names[0]).collect()
    }
}

fn known(text: &str) -> Option<Unit> {
    TABLE.iter().find(|(names, ..)| names.contains(&text)).map(|(names, dimension, scale, en)| Unit {
        dimension: dimension.clone(),
        scale: *scale,
        zh: names[0].to_string(),
        en: en.to_string(),
    })
}

/// The English name of a unit as written (`亿元` → `100 million yuan`); unknown units verbatim.
pub fn english(unit: &str) -> String {
    if unit.trim().is_empty() {
        return String::new();
    }
    Unit::parse(unit).en
}

/// A quantity written as text: a number, then optionally a unit (`"2.5 万亿元"`, `"2.5万亿元"`,
/// `"1,200 万人"`, `"30%"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: f64,
    /// The unit as written (empty when none).
    pub unit: String,
}

/// Parse a quantity, or say what is wrong with it.
pub fn parse_quantity(text: &str) -> Result<Quantity, String> {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == ','
                || c == '_'
                || ((c == '-' || c == '+') && i == 0)
                || ((c == 'e' || c == 'E')
                    && i > 0
                    && text[i + 1..].starts_with(|d: char| d.is_ascii_digit() || d == '-')))
        })
        .map_or(text.len(), |(i, _)| i);
    let number: String = text[..end].chars().filter(|&c| c != ',' && c != '_').collect();
    let unit = text[end..].trim();
    if number.is_empty() {
        return Err(format!("\"{text}\" does not start with a number"));
    }
    let value: f64 = number.parse().map_err(|_| format!("\"{}\" is not a number", &text[..end]))?;
    if !value.is_finite() {
        return Err(format!("\"{text}\" is not a finite number"));
    }
    Ok(Quantity { value, unit: unit.to_string() })
}

/// Format a whole or decimal number with thousands separators (`12104` → `12,104`).
pub fn thousands(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "–".into();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_scales_convert() {
        let wanyi = Unit::parse("万亿元");
        let yi = Unit::parse(" 亿元 ");
        assert_eq!(wanyi.dimension, Dimension::Money);
        assert_eq!(yi.zh, "亿元");
        assert_eq!(yi.en, "100 million yuan");
        assert_eq!(wanyi.en, "trillion yuan");
        assert_eq!(wanyi.convert(2.5, &yi), Some(25000.0));
        assert_eq!(Unit::parse("万元").convert(1.0, &Unit::parse("元")), Some(10000.0));
        assert_eq!(yi.convert(1.0, &Unit::parse("万元")), Some(10000.0));
    }

    #[test]
    fn every_plan_unit_is_known_with_its_scale() {
        let cases: [(&str, f64, &str); 24] = [
            ("人", 1.0, "people"),
            ("万人", 1e4, "10,000 people"),
            ("个", 1.0, "units"),
            ("家", 1.0, "firms"),
            ("万家", 1e4, "10,000 firms"),
            ("户", 1.0, "households"),
            ("万户", 1e4, "10,000 households"),
            ("%", 1.0, "%"),
            ("百分点", 1.0, "pp"),
            ("pp", 1.0, "pp"),
            ("千瓦", 1.0, "kW"),
            ("万千瓦", 1e4, "10,000 kW"),
            ("亿千瓦", 1e8, "100 million kW"),
            ("吨", 1.0, "tonnes"),
            ("万吨", 1e4, "10,000 tonnes"),
            ("亿吨", 1e8, "100 million tonnes"),
            ("标箱", 1.0, "TEU"),
            ("万标箱", 1e4, "10,000 TEU"),
            ("列", 1.0, "trains"),
            ("千米", 1.0, "km"),
            ("平方公里", 1.0, "km²"),
            ("亿立方米", 1e8, "100 million m³"),
            ("万亩", 1e4, "10,000 mu"),
            ("%/yr", 1.0, "%/yr"),
        ];
        for (text, scale, en) in cases {
            let u = Unit::parse(text);
            assert!(u.is_known(), "{text}");
            assert_eq!(u.scale, scale, "{text}");
            assert_eq!(u.en, en, "{text}");
        }
        assert_eq!(Unit::parse("公里"), Unit::parse("千米"));
        assert_eq!(Unit::parse("万家").convert(1.2, &Unit::parse("家")), Some(12000.0));
        assert_eq!(Unit::parse("个百分点").zh, "百分点");
        assert_eq!(Unit::parse("ratio").dimension, Dimension::Ratio);
        assert_eq!(Unit::parse("rank").dimension, Dimension::Rank);
    }

    #[test]
    fn incompatible_and_unknown_units() {
        let yi = Unit::parse("亿元");
        assert_eq!(Unit::parse("万人").convert(1.0, &yi), None);
        assert_eq!(Unit::parse("亩").convert(1.0, &Unit::parse("平方公里")), None);
        let index = Unit::parse("index");
        assert!(!index.is_known());
        assert_eq!(index.en, "index");
        assert_eq!(index.convert(3.0, &Unit::parse("index")), Some(3.0));
        assert_eq!(index.convert(3.0, &Unit::parse("指数")), None);
        assert_eq!(index.convert(3.0, &yi), None);
        assert!(yi.same_kind().contains(&"万亿元"));
    }

    #[test]
    fn per_year_units_keep_their_kind() {
        let u = Unit::parse("户/yr");
        assert_eq!(u.dimension, Dimension::PerYear(Box::new(Dimension::Households)));
        assert_eq!(u.en, "households per year");
        assert_eq!(Unit::parse("万户/年").convert(1.0, &u), Some(1e4));
        assert_eq!(Unit::parse("户").convert(1.0, &u), None);
        assert_eq!(english("%/yr"), "%/yr");
        assert_eq!(english(""), "");
    }

    #[test]
    fn quantities_parse_with_and_without_space() {
        assert_eq!(parse_quantity("2.5 万亿元"), Ok(Quantity { value: 2.5, unit: "万亿元".into() }));
        assert_eq!(parse_quantity("2.5万亿元"), Ok(Quantity { value: 2.5, unit: "万亿元".into() }));
        assert_eq!(parse_quantity("1,200 万人"), Ok(Quantity { value: 1200.0, unit: "万人".into() }));
        assert_eq!(parse_quantity("30%"), Ok(Quantity { value: 30.0, unit: "%".into() }));
        assert_eq!(parse_quantity("-1.5 pp"), Ok(Quantity { value: -1.5, unit: "pp".into() }));
        assert_eq!(parse_quantity("1e3 元"), Ok(Quantity { value: 1000.0, unit: "元".into() }));
        assert_eq!(parse_quantity(" 7 "), Ok(Quantity { value: 7.0, unit: String::new() }));
        assert!(parse_quantity("万亿元").is_err());
        assert!(parse_quantity("").is_err());
        assert!(parse_quantity("1.2.3 元").is_err());
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(12104.4, 0), "12,104");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(thousands(1_000_000.0, 0), "1,000,000");
        assert_eq!(thousands(-2_990_000.25, 1), "-2,990,000.2");
        assert_eq!(thousands(-0.01, 0), "0");
        assert_eq!(thousands(f64::NAN, 0), "–");
    }
}
