//! Numbers in messages: exact, but never a 300-digit decimal. Rust prints `1.6e294` with `{}` as
//! every one of its digits, which a column cuts into a plausible-looking 21-digit number; in
//! scientific notation beyond 10^15 and below 10^-6 it stays readable and still exact (the
//! shortest representation that reads back to the same `f64`).

/// `v` for a message: `5`, `-0.1`, `1.6e294`, `3e-9`, `NaN`, `inf`.
pub fn shown(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-6..1e15).contains(&a) { format!("{v:e}") } else { format!("{v}") }
}

/// `v` as a person would write it: rounded to 12 significant digits (so that a value computed
/// as 0.9 − 0.1 + 0.1 reads 0.9, not 0.8999999999999999), then as [`shown`].
pub fn rounded(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return shown(v);
    }
    let r: f64 = format!("{v:.11e}").parse().unwrap_or(v);
    shown(r)
}

#[cfg(test)]
mod tests {
    use super::{rounded, shown};

    #[test]
    fn rounded_values_read_as_written() {
        assert_eq!(rounded(0.8999999999999999), "0.9");
        assert_eq!(rounded(5.500000000000001), "5.5");
        assert_eq!(rounded(-0.30000000000000004), "-0.3");
        assert_eq!(rounded(123456.789), "123456.789");
        assert_eq!(rounded(1.6e294), "1.6e294");
        assert_eq!(rounded(0.0), "0");
    }

    #[test]
    fn huge_and_tiny_numbers_are_shown_in_scientific_notation_exactly() {
        assert_eq!(shown(1.6e294), "1.6e294");
        assert_eq!(shown(-3e199), "-3e199");
        assert_eq!(shown(1e-307), "1e-307");
        assert_eq!(shown(5.0), "5");
        assert_eq!(shown(-0.1), "-0.1");
        assert_eq!(shown(123456789.5), "123456789.5");
        assert_eq!(shown(f64::NAN), "NaN");
        for v in [1.6e294, 2.5e-300, 7.000000000000001e20] {
            assert_eq!(shown(v).parse::<f64>().unwrap(), v, "exact");
        }
    }
}
