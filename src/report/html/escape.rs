//! Escaping every string that comes from a scenario before it goes into the page: element text
//! and attribute values (`text`), and JSON inside a `<script>` element (`script_json`).

/// Text for an element's content or a quoted attribute value: `& < > " '` become entities.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON text made safe inside `<script type="application/json">`: `<`, `>` and `&` are written as
/// `\u003c`, `\u003e` and `\u0026` (the same string to a JSON parser), so no `</script>` or `<!--`
/// in a label can end the element; U+2028/U+2029 are escaped as well.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markup_and_quotes() {
        assert_eq!(
            text(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(text("沈阳GDP ≥ 1万亿"), "沈阳GDP ≥ 1万亿");
    }

    #[test]
    fn script_json_cannot_close_the_script_and_parses_back_to_the_same_string() {
        let value = serde_json::json!({ "label": "</script><script>alert(1)</script>&\u{2028}" });
        let safe = script_json(&value.to_string());
        assert!(!safe.contains("</") && !safe.contains('<') && !safe.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }
}
