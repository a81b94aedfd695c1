//! The candidate prefilter: finds, without parsing, the lines of a chunk that could be
//! candidates for an analytic, so that the full parser runs only on them. Hunting runs over weeks
//! of logs in which pub/sub connections are a tiny fraction, so this is where the speed comes
//! from.
//!
//! A line can only be a candidate if it contains one of the configured ports as a whole number
//! (not part of a longer number, an address or a timestamp) or a protocol label a source could
//! use to identify a pub/sub protocol (`mqtt`, `xmpp`, …). Both are searched for at once with a
//! SIMD multi-literal searcher over the whole chunk; the line around each hit is then handed to
//! the parser. The filter may let through lines that are not candidates (the parser decides);
//! it must never drop one that is, which the tests check against full parsing.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use pubsub_hunt_core::{HuntConfig, Protocol};

/// Finds candidate lines in chunks.
#[derive(Debug, Clone)]
pub struct CandidateFilter {
    searcher: AhoCorasick,
    /// For each pattern: whether it is a port number (needs a whole-number check).
    is_number: Vec<bool>,
}

impl CandidateFilter {
    /// Builds the filter for a configuration: every configured port, and the labels of every
    /// protocol that has standard ports (the unusual-port analytic needs the label).
    pub fn new(cfg: &HuntConfig) -> Result<CandidateFilter, aho_corasick::BuildError> {
        let mut patterns: Vec<String> = Vec::new();
        let mut is_number = Vec::new();
        for port in cfg.all_ports() {
            patterns.push(port.to_string());
            is_number.push(true);
        }
        for (proto, ports) in &cfg.ports {
            if ports.is_empty() {
                continue;
            }
            for tok in Protocol::label_tokens(*proto) {
                for variant in [tok.to_string(), tok.to_ascii_uppercase(), capitalize(tok)] {
                    if !patterns.contains(&variant) {
                        patterns.push(variant);
                        is_number.push(false);
                    }
                }
            }
        }
        let searcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&patterns)?;
        Ok(CandidateFilter {
            searcher,
            is_number,
        })
    }

    /// Calls `each(start, end)` for every line of `data` (byte range without its line end) that
    /// may be a candidate, in order, each at most once.
    pub fn for_each_candidate(&self, data: &[u8], mut each: impl FnMut(usize, usize)) {
        let mut pos = 0;
        while pos < data.len() {
            let Some(m) = self.searcher.find(Input::new(data).range(pos..)) else {
                break;
            };
            let (s, e) = (m.start(), m.end());
            if self.is_number[m.pattern().as_usize()] && !whole_number(data, s, e) {
                pos = s + 1;
                continue;
            }
            let line_start = memchr::memrchr(b'\n', &data[..s]).map_or(0, |i| i + 1);
            let line_end = memchr::memchr(b'\n', &data[e..]).map_or(data.len(), |i| e + i);
            each(line_start, line_end);
            pos = line_end + 1;
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.'
}

/// Whether `data[s..e]` stands alone: not part of a longer number, address or decimal.
fn whole_number(data: &[u8], s: usize, e: usize) -> bool {
    (s == 0 || !is_word_byte(data[s - 1])) && (e >= data.len() || !is_word_byte(data[e]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn candidates(data: &str) -> Vec<String> {
        let f = CandidateFilter::new(&HuntConfig::default()).unwrap();
        let mut out = Vec::new();
        f.for_each_candidate(data.as_bytes(), |s, e| out.push(data[s..e].to_string()));
        out
    }

    #[test]
    fn finds_ports_and_labels_as_whole_tokens() {
        let data = "a\t1883\tx\n\
                    1518831883.5\t10.18.83.1\t443\n\
                    b\t11883\t\n\
                    {\"id.resp_p\": 5222}\n\
                    c\t4444\tmqtt\n\
                    d\t443\tXMPP,ssl\n\
                    e\t61614";
        assert_eq!(
            candidates(data),
            vec![
                "a\t1883\tx",
                "{\"id.resp_p\": 5222}",
                "c\t4444\tmqtt",
                "d\t443\tXMPP,ssl",
                "e\t61614"
            ]
        );
    }

    #[test]
    fn each_line_once() {
        assert_eq!(
            candidates("1883 1883 mqtt 5222\n"),
            vec!["1883 1883 mqtt 5222"]
        );
    }

    proptest! {
        /// No line that holds a configured port as a field is ever missed.
        #[test]
        fn never_misses_a_port_field(
            fields in prop::collection::vec(prop::sample::select(vec!["1883", "18830", "1.1883", "5672", "x", "443", "10.0.0.1", "61613", "-"]), 1..8),
            prefix in "[a-z.]{0,5}",
        ) {
            let line = format!("{prefix}\t{}", fields.join("\t"));
            let data = format!("noise\n{line}\nnoise2\n");
            let got = candidates(&data);
            let has_port = fields.iter().any(|f| ["1883", "5672", "61613"].contains(f));
            prop_assert_eq!(got.contains(&line), has_port);
        }
    }
}
