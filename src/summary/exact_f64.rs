//! Serde helper writing an `f64` as the 16 hex digits of its bit pattern, so a value survives a
//! round trip through a file bit for bit: ±infinity (the minimum and maximum of an empty sketch),
//! NaN payloads and the sign of zero, none of which JSON numbers can carry.

use serde::{Deserialize, Deserializer, Serializer, de::Error};

pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("{:016x}", value.to_bits()))
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        // At most 32 characters of what was found, escaped: a damaged file can hold anything.
        let shown: String = text.chars().take(32).flat_map(char::escape_debug).collect();
        let more = if text.chars().count() > 32 { "…" } else { "" };
        return Err(D::Error::custom(format!("expected the 16 hex digits of a float's bits, found \"{shown}{more}\"")));
    }
    u64::from_str_radix(&text, 16).map(f64::from_bits).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Wrapper(#[serde(with = "super")] f64);

    #[test]
    fn every_kind_of_float_survives_a_round_trip() {
        for x in
            [0.0, -0.0, 1.0, -1.5e-300, f64::MIN_POSITIVE / 3.0, f64::MAX, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]
        {
            let text = serde_json::to_string(&Wrapper(x)).unwrap();
            let back: Wrapper = serde_json::from_str(&text).unwrap();
            assert_eq!(back.0.to_bits(), x.to_bits(), "{x} via {text}");
        }
        assert_eq!(serde_json::to_string(&Wrapper(f64::INFINITY)).unwrap(), "\"7ff0000000000000\"");
    }

    #[test]
    fn malformed_bits_are_refused() {
        for text in ["\"7ff\"", "\"zzzzzzzzzzzzzzzz\"", "1.5", "\"+fff000000000000\""] {
            assert!(serde_json::from_str::<Wrapper>(text).is_err(), "{text}");
        }
    }
}
