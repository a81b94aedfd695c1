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
//!
//! A line naming a public MQTT broker (`broker.hivemq.com`, as an ssl.log server name or a
//! Sysmon `DestinationHostname` writes it) is a candidate too: the engine hunts connections to
//! those on any port, since they take MQTT over WebSocket on ports of their own.
//!
//! Sources that record the initiating program (Sysmon, EDR and SIEM exports) have one more kind
//! of candidate: a connection on any port from a program named like a Windows system binary,
//! which the engine hunts for masquerading. For them the filter also passes every line holding
//! one of those file names (`taskhostw.exe`, in any case), unless the name plainly sits in its
//! own directory (`C:\Windows\System32\svchost.exe`, as the genuine services write it, which is
//! most of a Windows host's connections); any other spelling passes and the engine judges it.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use pubsub_hunt_core::behaviour::destination::public_broker_names;
use pubsub_hunt_core::behaviour::masquerade::{Home, SYSTEM_BINARIES};
use pubsub_hunt_core::{AnalyticId, HuntConfig, Protocol};

/// Finds candidate lines in chunks.
#[derive(Debug, Clone)]
pub struct CandidateFilter {
    searcher: AhoCorasick,
    /// For each pattern: whether it is a port number (needs a whole-number check).
    is_number: Vec<bool>,
    /// The file names of Windows system binaries, case-insensitively, when the engine hunts
    /// masqueraded programs on any port.
    programs: Option<AhoCorasick>,
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
        // Public brokers' names, as ssl.log, Sysmon and the SIEM exports write them (in lower
        // case, as clients send them): the engine hunts a connection to one on any port.
        if cfg.behaviour.enabled && cfg.analytic_enabled(AnalyticId::PubsubDestination) {
            for name in public_broker_names() {
                patterns.push(name.to_string());
                is_number.push(false);
            }
        }
        let searcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&patterns)?;
        let programs = if cfg.behaviour.enabled && cfg.analytic_enabled(AnalyticId::PubsubProcess) {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .ascii_case_insensitive(true)
                    .build(program_patterns())?,
            )
        } else {
            None
        };
        Ok(CandidateFilter {
            searcher,
            is_number,
            programs,
        })
    }

    /// Like [`CandidateFilter::for_each_candidate`], for a source that records the initiating
    /// program (`records_programs`): lines naming a Windows system binary are candidates too.
    pub fn for_each_candidate_of(
        &self,
        data: &[u8],
        records_programs: bool,
        mut each: impl FnMut(usize, usize),
    ) {
        let Some(programs) = self.programs.as_ref().filter(|_| records_programs) else {
            return self.for_each_candidate(data, each);
        };
        let mut lines: Vec<(usize, usize)> = Vec::new();
        self.for_each_candidate(data, |s, e| lines.push((s, e)));
        let mut passed_to = 0;
        // The start of the current hit's line, found by looking back only as far as the
        // previous hit: many hits on one long line cost one pass over it, not one each.
        let (mut line_start, mut looked_to) = (0, 0);
        for m in programs.find_iter(data) {
            let (s, e) = (m.start(), m.end());
            if s < passed_to {
                continue;
            }
            if let Some(i) = memchr::memrchr(b'\n', &data[looked_to.max(passed_to)..s]) {
                line_start = looked_to.max(passed_to) + i + 1;
            } else if passed_to > looked_to {
                line_start = passed_to;
            }
            looked_to = s;
            // Each name is searched for behind each separator (see `program_patterns`).
            let home = SYSTEM_BINARIES[m.pattern().as_usize() / 2].1;
            if in_its_home(&data[line_start..s + 1], home) {
                continue;
            }
            let line_end = memchr::memchr(b'\n', &data[e..]).map_or(data.len(), |i| e + i);
            lines.push((line_start, line_end));
            passed_to = line_end + 1;
        }
        // Both searches find lines in order; together, each line once, in order.
        lines.sort_unstable();
        lines.dedup();
        for (s, e) in lines {
            each(s, e);
        }
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

/// The searched forms of the system binaries' names, two per binary in table order: behind a `\`
/// and behind a `/`, without `.exe` (the engine takes `…\svchost` for `svchost.exe` too). Only an
/// image with a directory can be judged masqueraded (a bare name cannot be placed), so its file
/// name always follows a separator; anchoring on it lets the searcher skip from one separator to
/// the next instead of reading every byte (measured by `bench/prefilter.rs`).
fn program_patterns() -> Vec<String> {
    SYSTEM_BINARIES
        .iter()
        .flat_map(|(name, _)| {
            let stem = name.trim_end_matches(".exe");
            [format!("\\{stem}"), format!("/{stem}")]
        })
        .collect()
}

/// Whether `before` (the line up to a system binary's file name) ends in exactly the binary's
/// own directory with a drive, and nothing path-like before the drive: `"C:\\Windows\\System32\\`
/// (JSON), `>C:\Windows\System32\` (XML). Separators are any run of `\` or `/`, case is
/// ignored. Anything else (`..`, an NT or environment prefix, a longer path) is left to the
/// engine, so a masqueraded image is never skipped.
fn in_its_home(before: &[u8], home: Home) -> bool {
    home.dirs().iter().any(|dir| ends_in_dir(before, dir))
}

/// `in_its_home` for one directory (`\windows\system32`), reading backwards, without copying.
fn ends_in_dir(before: &[u8], dir: &str) -> bool {
    let mut i = before.len();
    // One separator at least, of any run of `\` and `/`.
    let separator = |i: &mut usize| {
        let start = *i;
        while *i > 0 && matches!(before[*i - 1], b'\\' | b'/') {
            *i -= 1;
        }
        *i < start
    };
    if !separator(&mut i) {
        return false;
    }
    for segment in dir.split('\\').filter(|s| !s.is_empty()).rev() {
        let n = segment.len();
        if i < n || !before[i - n..i].eq_ignore_ascii_case(segment.as_bytes()) {
            return false;
        }
        i -= n;
        if !separator(&mut i) {
            return false;
        }
    }
    if i < 2 || before[i - 1] != b':' || !before[i - 2].is_ascii_alphabetic() {
        return false;
    }
    i -= 2;
    i == 0 || !is_path_byte(before[i - 1])
}

/// Bytes a path (or a prefix of one: `\\?\`, `%SystemRoot%`) can hold before a drive letter.
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"\\/.:_-%$~?".contains(&b)
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
    fn lines_naming_a_system_binary_pass_where_the_source_records_programs() {
        let f = CandidateFilter::new(&HuntConfig::default()).unwrap();
        let data = "{\"Image\":\"C:\\\\Users\\\\a\\\\TaskHostW.exe\",\"DestinationPort\":443}\n\
                    {\"Image\":\"C:\\\\Tools\\\\app.exe\",\"DestinationPort\":443}\n\
                    {\"Image\":\"svchost.exe\",\"DestinationPort\":1883}\n";
        let mut got = Vec::new();
        f.for_each_candidate_of(data.as_bytes(), true, |s, e| got.push((s, e)));
        let lines: Vec<&str> = got.iter().map(|&(s, e)| &data[s..e]).collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("TaskHostW.exe"));
        assert!(
            lines[1].contains("1883"),
            "once, though it matches both ways"
        );
        // A source that records no programs: ports and labels only.
        got.clear();
        f.for_each_candidate_of(data.as_bytes(), false, |s, e| got.push((s, e)));
        assert_eq!(got.len(), 1);
        // Without the behaviour analytics, nothing is hunted for its program.
        let seed = HuntConfig::from_toml_str("[behaviour]\nenabled = false").unwrap();
        let f = CandidateFilter::new(&seed).unwrap();
        got.clear();
        f.for_each_candidate_of(data.as_bytes(), true, |s, e| got.push((s, e)));
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn many_names_on_one_long_line_cost_one_pass() {
        // A hostile line of 200,000 genuine-looking names and one masqueraded at its end: each
        // hit must not look back over the whole line (that was quadratic).
        let f = CandidateFilter::new(&HuntConfig::default()).unwrap();
        let mut line = "C:\\Windows\\System32\\cmd.exe ".repeat(200_000);
        line.push_str("C:\\Temp\\cmd.exe");
        let data = format!("first\n{line}\nlast C:\\Windows\\System32\\cmd.exe\n");
        let started = std::time::Instant::now();
        let mut got = Vec::new();
        f.for_each_candidate_of(data.as_bytes(), true, |s, e| got.push((s, e)));
        assert_eq!(got, vec![(6, 6 + line.len())]);
        // Linear work takes milliseconds; one look back per hit took minutes.
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn each_line_once() {
        assert_eq!(
            candidates("1883 1883 mqtt 5222\n"),
            vec!["1883 1883 mqtt 5222"]
        );
    }

    #[test]
    fn the_genuine_binary_in_its_home_is_skipped_any_other_spelling_passes() {
        let f = CandidateFilter::new(&HuntConfig::default()).unwrap();
        let passes = |image: &str| {
            let line = format!("{{\"Image\":{},\"DestinationPort\":\"443\"}}", json(image));
            let mut n = 0;
            f.for_each_candidate_of(line.as_bytes(), true, |_, _| n += 1);
            n == 1
        };
        assert!(!passes(r"C:\Windows\System32\svchost.exe"));
        assert!(!passes(r"c:/WINDOWS/system32/SVCHOST.EXE"));
        assert!(!passes(r"C:\Windows\System32\wbem\WmiPrvSE.exe"));
        assert!(passes(r"C:\Windows\System32\WmiPrvSE.exe"), "not its home");
        assert!(passes(r"C:\Users\Public\svchost.exe"));
        assert!(passes(r"D:\x\C:\Windows\System32\svchost.exe"));
        assert!(passes(r"C:\Temp\..\Windows\System32\svchost.exe"));
        assert!(
            passes(r"C:\Users\a\svchost"),
            "the engine reads it as svchost.exe"
        );
    }

    fn json(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    proptest! {
        /// Every image the engine judges masqueraded passes the filter, in JSON and in plain text.
        #[test]
        fn never_skips_a_masqueraded_image(
            drive in prop::sample::select(vec!["C:", "c:", "D:", "", "\\\\?\\C:", "\\Device\\HarddiskVolume2", "%SystemRoot%"]),
            dirs in prop::collection::vec(prop::sample::select(vec!["Windows", "WINDOWS", "System32", "system32", "SysWOW64", "wbem", "..", ".", "Users", "Public", "Temp", "x"]), 0..5),
            sep in prop::sample::select(vec!["\\", "/", "\\\\"]),
            name in prop::sample::select(vec!["svchost.exe", "SVCHOST.EXE", "WmiPrvSE.exe", "explorer.exe", "taskhostw", "cmd.exe", "powershell.exe"]),
            lead in prop::sample::select(vec!["", "x", " ", ">", "\\"]),
        ) {
            let mut path = drive.to_string();
            for d in &dirs {
                path.push_str(sep);
                path.push_str(d);
            }
            path.push_str(sep);
            path.push_str(name);
            let masqueraded = matches!(
                pubsub_hunt_core::behaviour::masquerade::judge(&path),
                Some(pubsub_hunt_core::behaviour::masquerade::Verdict::Masqueraded { .. })
            );
            let f = CandidateFilter::new(&HuntConfig::default()).unwrap();
            for line in [
                format!("{{\"Image\":{},\"DestinationPort\":\"443\"}}", json(&path)),
                format!("<Data Name=\"Image\">{lead}{path}</Data><Data>443</Data>"),
            ] {
                let mut n = 0;
                f.for_each_candidate_of(line.as_bytes(), true, |_, _| n += 1);
                prop_assert!(!masqueraded || n == 1, "skipped {line}");
            }
        }

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
