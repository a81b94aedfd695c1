//! Text helpers every part of the report shares: HTML escaping of anything from the data, and
//! durations as a person reads them.

use std::borrow::Cow;

/// Text safe in HTML content and in quoted attributes (`<`, `>`, `&`, `"` and `'` escaped).
pub(crate) fn esc(s: &str) -> Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// Seconds as a person reads them: `45 s`, `2.5 min`, `1.2 h`, `3.1 d`.
pub(crate) fn human_secs(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7_200.0 {
        format!("{:.1} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3_600.0)
    } else {
        format!("{:.1} d", s / 86_400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_escapes() {
        assert_eq!(human_secs(60.0), "60 s");
        assert_eq!(human_secs(300.0), "5.0 min");
        assert_eq!(human_secs(86_400.0 * 3.0), "3.0 d");
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"
        );
    }
}
