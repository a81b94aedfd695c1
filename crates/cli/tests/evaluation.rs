//! Behaviour evaluation as a regression test: one labeled day of mixed benign and C2 pub/sub
//! traffic (`pubsub_hunt_testgen::labeled`, seed 1) rendered as Zeek logs (conn.log and ssl.log,
//! hunted together in one run), Sysmon JSON and a pcap; the binary hunts each source; alerts are
//! matched to channels by (src_ip, dst_ip, dst_port).
//!
//! Goals of the full engine (the "proof on labeled data"): it finds every C2 channel
//! its input can reveal, on every source; on every source it raises at most one benign alert per
//! ten true ones; on pcap (and on Zeek with ssl.log) it ranks every C2 alert above every benign
//! alert. The seed view
//! (`--analytic pubsub-port`) is measured too, and cannot see the channels on ports 443 and 80.
//! `bench/evaluate.py` reports the same figures over several seeds.

mod common;

use pubsub_hunt_testgen::LabeledData;
use pubsub_hunt_testgen::labeled::{Label, TruthChannel};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const SEED: u64 = 1;
const HOURS: f64 = 24.0;

struct Fixture {
    dir: PathBuf,
    truth: Vec<TruthChannel>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("evaluation-seed-{SEED}"));
        let data = LabeledData::generate(SEED, HOURS);
        data.write_dir(&dir).unwrap();
        Fixture {
            dir,
            truth: data.truth.channels,
        }
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Source {
    Zeek,
    Sysmon,
    Pcap,
}

impl Source {
    /// The files of the source, hunted together in one run.
    fn files(self) -> &'static [&'static str] {
        match self {
            Source::Zeek => &["conn.log", "ssl.log"],
            Source::Sysmon => &["sysmon.json"],
            Source::Pcap => &["capture.pcap"],
        }
    }

    fn revealable(self, c: &TruthChannel) -> bool {
        match self {
            Source::Zeek => c.revealable.zeek.revealable,
            Source::Sysmon => c.revealable.sysmon.revealable,
            Source::Pcap => c.revealable.pcap.revealable,
        }
    }
}

/// Alerts of one run, in output order (the engine sorts by score, highest first).
fn hunt(source: Source, extra: &[&str]) -> Vec<Value> {
    hunt_files(source.files(), extra)
}

/// Alerts of one run over `files` of the fixture. Exit status 2 (a problem reported, such as
/// a log that is not a connection log being skipped) is accepted like 0.
fn hunt_files(files: &[&str], extra: &[&str]) -> Vec<Value> {
    let paths: Vec<PathBuf> = files.iter().map(|f| fixture().dir.join(f)).collect();
    let out = common::bin()
        .arg("hunt")
        .args(&paths)
        .args(["--format", "jsonl", "-q", "--threads", "2"])
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 2,
        "pubsub-hunt exited {code} on {paths:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("kind").and_then(Value::as_str).unwrap_or("alert") == "alert")
        .collect()
}

/// Alerts per (source, view), computed once for all tests.
fn alerts(source: Source, full: bool) -> &'static [Value] {
    static RUNS: OnceLock<HashMap<(Source, bool), Vec<Value>>> = OnceLock::new();
    RUNS.get_or_init(|| {
        let mut m = HashMap::new();
        for s in [Source::Zeek, Source::Sysmon, Source::Pcap] {
            m.insert((s, true), hunt(s, &[]));
            m.insert((s, false), hunt(s, &["--analytic", "pubsub-port"]));
        }
        m
    })
    .get(&(source, full))
    .map(Vec::as_slice)
    .unwrap()
}

fn channel_of<'a>(alert: &Value) -> Option<&'a TruthChannel> {
    let src = alert.get("src_ip")?.as_str()?;
    let dst = alert.get("dst_ip")?.as_str()?;
    let port = alert.get("dst_port")?.as_u64()?;
    fixture()
        .truth
        .iter()
        .find(|c| c.src_ip == src && c.dst_ip == dst && u64::from(c.dst_port) == port)
}

fn is_c2(alert: &Value) -> bool {
    channel_of(alert).is_some_and(|c| c.label == Label::C2)
}

fn describe(alert: &Value) -> String {
    let name = channel_of(alert).map_or_else(
        || format!("unmatched {}", alert["dst_ip"]),
        |c| format!("{} ({})", c.id, c.category),
    );
    format!(
        "{name}: score {}, suspicion {}, analytic {}, signals {}",
        alert["score"], alert["suspicion"], alert["analytic"], alert["signals"]
    )
}

/// The evaluation figures of one run.
#[derive(Debug)]
struct Figures {
    alerts: usize,
    true_alerts: usize,
    benign_alerts: usize,
    revealable: Vec<&'static str>,
    missed: Vec<&'static str>,
    recall: Option<f64>,
    precision: Option<f64>,
    r_precision: Option<f64>,
    p_at_10: Option<f64>,
    c2_above_benign: bool,
}

fn figures(source: Source, full: bool) -> Figures {
    figures_of(source, alerts(source, full))
}

/// The figures of an alert list, against the C2 channels `source` can reveal.
fn figures_of(source: Source, list: &[Value]) -> Figures {
    let truth = &fixture().truth;
    let revealable: Vec<&'static str> = truth
        .iter()
        .filter(|c| c.label == Label::C2 && source.revealable(c))
        .map(|c| c.id.as_str())
        .collect();
    let detected: Vec<&str> = list
        .iter()
        .filter_map(channel_of)
        .filter(|c| c.label == Label::C2)
        .map(|c| c.id.as_str())
        .collect();
    let missed: Vec<&'static str> = revealable
        .iter()
        .copied()
        .filter(|id| !detected.contains(id))
        .collect();
    let hits: Vec<bool> = list.iter().map(is_c2).collect();
    let true_alerts = hits.iter().filter(|h| **h).count();
    let at =
        |k: usize| (k > 0).then(|| hits.iter().take(k).filter(|h| **h).count() as f64 / k as f64);
    let last_c2 = hits.iter().rposition(|h| *h);
    let first_benign = hits.iter().position(|h| !*h);
    Figures {
        alerts: list.len(),
        true_alerts,
        benign_alerts: list.len() - true_alerts,
        recall: (!revealable.is_empty())
            .then(|| (revealable.len() - missed.len()) as f64 / revealable.len() as f64),
        precision: (!list.is_empty()).then(|| true_alerts as f64 / list.len() as f64),
        r_precision: at(revealable.len()),
        p_at_10: at(10),
        c2_above_benign: match (last_c2, first_benign) {
            (Some(c), Some(b)) => c < b,
            _ => true,
        },
        revealable,
        missed,
    }
}

/// Why a channel is missing from the alerts: its group at `--min-suspicion low`, if any.
fn why_missed(source: Source, id: &str) -> String {
    hunt(source, &["--min-suspicion", "low"])
        .iter()
        .find(|a| channel_of(a).is_some_and(|c| c.id == id))
        .map_or_else(
            || format!("{id}: no group at all"),
            |a| format!("{id} below alert level: {}", describe(a)),
        )
}

fn assert_full_recall(source: Source) {
    let f = figures(source, true);
    assert!(!f.revealable.is_empty(), "{source:?}: nothing revealable");
    let why: Vec<String> = f.missed.iter().map(|id| why_missed(source, id)).collect();
    assert!(
        f.missed.is_empty(),
        "{source:?}, full engine: recall {:?}; missed revealable C2:\n  {}",
        f.recall,
        why.join("\n  ")
    );
}

#[test]
fn full_engine_finds_every_revealable_c2_in_zeek() {
    assert_full_recall(Source::Zeek);
}

#[test]
fn full_engine_finds_every_revealable_c2_in_sysmon() {
    assert_full_recall(Source::Sysmon);
}

#[test]
fn full_engine_finds_every_revealable_c2_in_pcap() {
    assert_full_recall(Source::Pcap);
}

fn assert_at_most_one_benign_per_ten_true(source: Source) {
    let f = figures(source, true);
    let benign: Vec<String> = alerts(source, true)
        .iter()
        .filter(|a| !is_c2(a))
        .map(describe)
        .collect();
    assert!(
        f.benign_alerts * 10 <= f.true_alerts,
        "{source:?}, full engine: {} benign alerts for {} true ones (precision {:?}):\n  {}",
        f.benign_alerts,
        f.true_alerts,
        f.precision,
        benign.join("\n  ")
    );
}

#[test]
fn full_engine_on_pcap_has_at_most_one_benign_alert_per_ten_true() {
    assert_at_most_one_benign_per_ten_true(Source::Pcap);
}

#[test]
fn full_engine_on_sysmon_has_at_most_one_benign_alert_per_ten_true() {
    assert_at_most_one_benign_per_ten_true(Source::Sysmon);
}

#[test]
fn full_engine_on_zeek_has_at_most_one_benign_alert_per_ten_true() {
    assert_at_most_one_benign_per_ten_true(Source::Zeek);
}

/// Developers' one-off sessions to public brokers leave the Zeek report because conn.log shows
/// them short and well inside the day (`transient_use`), not because they go unseen: at low
/// suspicion each is there with that reason. No C2 channel is judged one-off.
#[test]
fn one_off_developer_sessions_in_zeek_are_demoted_with_their_reason() {
    let low = hunt(Source::Zeek, &["--min-suspicion", "low"]);
    let transient = |a: &Value| {
        a["signals"]
            .get("transient_use")
            .and_then(Value::as_f64)
            .is_some_and(|w| w < 0.0)
    };
    let public_dev: Vec<&TruthChannel> = fixture()
        .truth
        .iter()
        .filter(|c| c.category == "dev-broker" && !c.dst_ip.starts_with("10."))
        .collect();
    assert!(
        public_dev.len() >= 3,
        "the scenario has developers on public brokers"
    );
    for c in public_dev {
        let a = low
            .iter()
            .find(|a| channel_of(a).is_some_and(|x| x.id == c.id))
            .unwrap_or_else(|| panic!("{} is not in the low-suspicion report", c.id));
        assert!(transient(a), "{}", describe(a));
        assert_eq!(a["suspicion"], "low", "{}", describe(a));
        assert!(
            !alerts(Source::Zeek, true)
                .iter()
                .any(|x| channel_of(x).is_some_and(|x| x.id == c.id)),
            "{} is in the default report",
            c.id
        );
    }
    for a in low.iter().filter(|a| is_c2(a)) {
        assert!(!transient(a), "{}", describe(a));
    }
}

fn assert_c2_ranked_above_benign(source: Source) {
    let f = figures(source, true);
    let list = alerts(source, true);
    let ranked: Vec<String> = list
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let tag = if is_c2(a) { "C2    " } else { "benign" };
            format!("#{:<2} {tag} {}", i + 1, describe(a))
        })
        .collect();
    assert!(
        f.c2_above_benign,
        "{source:?}, full engine: a benign alert outranks a C2 alert (R-precision {:?}, P@10 {:?}):\n  {}",
        f.r_precision,
        f.p_at_10,
        ranked.join("\n  ")
    );
}

#[test]
fn full_engine_on_pcap_ranks_every_c2_above_every_benign() {
    assert_c2_ranked_above_benign(Source::Pcap);
}

/// With ssl.log's server names, the Zeek logs rank every C2 channel first too.
#[test]
fn full_engine_on_zeek_ranks_every_c2_above_every_benign() {
    assert_c2_ranked_above_benign(Source::Zeek);
}

#[test]
fn seed_view_is_measured_and_blind_to_443_and_80() {
    for source in [Source::Zeek, Source::Sysmon, Source::Pcap] {
        let f = figures(source, false);
        // The figures exist whatever their values.
        assert_eq!(f.alerts, f.true_alerts + f.benign_alerts);
        assert!(f.precision.is_none_or(|p| (0.0..=1.0).contains(&p)));
        assert!(f.recall.is_none_or(|r| (0.0..=1.0).contains(&r)));
        assert!(f.r_precision.is_none_or(|r| (0.0..=1.0).contains(&r)));
        assert!(f.p_at_10.is_none_or(|r| (0.0..=1.0).contains(&r)));
        // The seed's port list never contains 80 or 443.
        let web: Vec<String> = alerts(source, false)
            .iter()
            .filter(|a| matches!(a["dst_port"].as_u64(), Some(80 | 443)))
            .map(describe)
            .collect();
        assert!(
            web.is_empty(),
            "{source:?}: seed view alerted on 80/443: {web:?}"
        );
        let planted_web = fixture()
            .truth
            .iter()
            .filter(|c| c.label == Label::C2 && matches!(c.dst_port, 80 | 443))
            .count();
        assert!(planted_web >= 3, "the scenario plants C2 on 80 and 443");
    }
    // Seed-view recall on pcap is below 1: the channels on 80/443 are revealable there.
    let pcap = figures(Source::Pcap, false);
    assert!(pcap.recall.is_some_and(|r| r < 1.0), "{pcap:?}");
}

#[test]
fn zeek_ssl_log_does_not_lower_full_engine_precision() {
    // The Zeek source is conn.log and ssl.log together; the same hunt on conn.log alone is the
    // figure before ssl.log existed. The TLS server names may only help.
    let pair = figures(Source::Zeek, true);
    let conn_only = figures_of(Source::Zeek, &hunt_files(&["conn.log"], &[]));
    assert!(
        fixture().dir.join("ssl.log").is_file(),
        "the labeled data has an ssl.log"
    );
    // No alert at all on a side leaves nothing to compare (recall is asserted elsewhere).
    assert!(
        pair.precision.unwrap_or(1.0) >= conn_only.precision.unwrap_or(0.0),
        "zeek, full engine: precision {:?} with ssl.log, {:?} on conn.log alone\n  with: {pair:?}\n  without: {conn_only:?}",
        pair.precision,
        conn_only.precision
    );
}
