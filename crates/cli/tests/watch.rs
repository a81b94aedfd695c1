//! `pubsub-hunt watch` end to end on the loopback interface: the seeds' test procedures (an MQTT
//! client publishing host data to `c2/beacon`, an XMPP stanza sent the way `nc` would, and a
//! subscriber on `c2/commands/#`) are played against listeners on 127.0.0.1, on ports no port
//! list knows, and the live capture must recognise them by their bytes, attribute them to this
//! process, and report them, flushing what it has on SIGTERM.
//!
//! Capturing needs root or CAP_NET_RAW; without it the test says so and returns.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;
use common::is_root;
use std::path::Path;

fn remaining_length(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            break;
        }
    }
}

fn mqtt_packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![first];
    remaining_length(body.len(), &mut p);
    p.extend_from_slice(body);
    p
}

fn mqtt_string(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn mqtt_connect(client_id: &str) -> Vec<u8> {
    let mut b = Vec::new();
    mqtt_string("MQTT", &mut b);
    b.extend_from_slice(&[4, 0x02, 0, 60]);
    mqtt_string(client_id, &mut b);
    mqtt_packet(0x10, &b)
}

fn mqtt_publish(topic: &str, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    mqtt_string(topic, &mut b);
    b.extend_from_slice(payload);
    mqtt_packet(0x30, &b)
}

fn mqtt_subscribe(filter: &str) -> Vec<u8> {
    let mut b = vec![0, 1];
    mqtt_string(filter, &mut b);
    b.push(0);
    mqtt_packet(0x82, &b)
}

/// A listener that reads whatever comes and answers MQTT CONNECT with CONNACK.
fn serve(listener: TcpListener) {
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut first = true;
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if first && buf[0] == 0x10 {
                        let _ = s.write_all(&[0x20, 2, 0, 0]);
                    }
                    first = false;
                }
            });
        }
    });
}

#[test]
fn watch_recognises_the_seed_procedures_on_loopback() {
    if !is_root() {
        eprintln!("note: watch test skipped: capturing needs root or CAP_NET_RAW");
        return;
    }
    let mqtt = TcpListener::bind("127.0.0.1:0").unwrap();
    let xmpp = TcpListener::bind("127.0.0.1:0").unwrap();
    let (mqtt_port, xmpp_port) = (
        mqtt.local_addr().unwrap().port(),
        xmpp.local_addr().unwrap().port(),
    );
    serve(mqtt);
    serve(xmpp);

    let mut child = common::std_bin()
        .args([
            "watch",
            "--interface",
            "lo",
            "--report-every",
            "1",
            "--all-sessions",
        ])
        .args(["--filter", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the capture is running.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("watching lo"), "{line}");
    // The line is written as the capture thread starts; give it time to open its socket on a
    // loaded machine.
    std::thread::sleep(Duration::from_millis(1500));

    // Procedure 1: publish host data to c2/beacon (twice: the analytic needs two connections).
    for _ in 0..2 {
        let mut c = TcpStream::connect(("127.0.0.1", mqtt_port)).unwrap();
        c.write_all(&mqtt_connect("c2-implant-7f3a")).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        c.write_all(&mqtt_publish("c2/beacon", b"host=ws-1;user=root;os=linux"))
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        c.write_all(&[0xe0, 0]).unwrap();
    }
    // Procedure 3: a subscriber on the command tree.
    let mut sub = TcpStream::connect(("127.0.0.1", mqtt_port)).unwrap();
    sub.write_all(&mqtt_connect("c2-listener")).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    sub.write_all(&mqtt_subscribe("c2/commands/#")).unwrap();
    // Procedure 2: an XMPP stanza, as `nc` would send it.
    for _ in 0..2 {
        let mut c = TcpStream::connect(("127.0.0.1", xmpp_port)).unwrap();
        c.write_all(
            b"<?xml version='1.0'?><stream:stream to='c2.example' xmlns='jabber:client' \
              xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\
              <message to='bot@c2.example' type='chat'><body>whoami</body></message>",
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    drop(sub);
    std::thread::sleep(Duration::from_millis(300));

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    assert_eq!(status.code(), Some(0), "{rest}");

    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sessions: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["kind"] == "session" && l["dst_ip"] == "127.0.0.1")
        .collect();
    let mqtt_sessions: Vec<_> = sessions
        .iter()
        .filter(|s| s["protocol"] == "MQTT" && s["dst_port"] == mqtt_port)
        .collect();
    assert_eq!(mqtt_sessions.len(), 3, "{out}\n{rest}");
    let topics: Vec<String> = mqtt_sessions
        .iter()
        .flat_map(|s| s["app"]["topics"].as_array().cloned().unwrap_or_default())
        .map(|t| {
            format!(
                "{}:{}",
                t["direction"].as_str().unwrap(),
                t["name"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        topics.contains(&"publish:c2/beacon".to_string()),
        "{topics:?}"
    );
    assert!(
        topics.contains(&"subscribe:c2/commands/#".to_string()),
        "{topics:?}"
    );
    let xmpp_sessions = sessions
        .iter()
        .filter(|s| s["protocol"] == "XMPP" && s["dst_port"] == xmpp_port)
        .count();
    assert_eq!(xmpp_sessions, 2, "{out}");

    // The MQTT group (two publishers and the subscriber: same host, process and broker) is
    // an unusual-port alert, attributed to this test process, with the C2 vocabulary seen.
    let alert = lines
        .iter()
        .find(|l| l["kind"] == "alert" && l["protocol"] == "MQTT" && l["dst_port"] == mqtt_port)
        .unwrap_or_else(|| panic!("no MQTT alert in:\n{out}\n{rest}"));
    assert_eq!(alert["analytic"], "pubsub-unusual-port");
    let me = std::env::current_exe().unwrap();
    let process = alert["process"].as_str().unwrap_or_default();
    assert_eq!(
        std::path::Path::new(process).file_name(),
        me.file_name(),
        "{alert}"
    );
    assert!(
        alert["app"]["client_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "c2-implant-7f3a"),
        "{alert}"
    );
    assert!(!alert["signals"].as_object().unwrap().is_empty(), "{alert}");
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "alert" && l["protocol"] == "XMPP" && l["dst_port"] == xmpp_port),
        "{out}"
    );
}

/// `watch --format csv` writes through the same CSV writer as `hunt`: the same header, one row
/// per new or raised alert, with the alert's stable id.
#[test]
fn watch_writes_csv_through_the_hunt_writer() {
    if !is_root() {
        eprintln!("note: watch test skipped: capturing needs root or CAP_NET_RAW");
        return;
    }
    let mqtt = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = mqtt.local_addr().unwrap().port();
    serve(mqtt);
    let (mut child, mut stderr) = watch_three_beacons(port, &["--format", "csv"]);
    std::thread::sleep(Duration::from_millis(800));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    assert_eq!(status.code(), Some(0), "{rest}");
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, pubsub_hunt_output::CSV_COLUMNS, "{out}");
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let row = rows
        .iter()
        .find(|r| r[col("dst_port")] == port.to_string())
        .unwrap_or_else(|| panic!("no alert row for port {port}:\n{out}\n{rest}"));
    assert_eq!(row[col("protocol")].to_string(), "MQTT");
    assert_eq!(row[col("id")].len(), 16, "{out}");
}

/// Starts `watch` on loopback with `args` and returns it with its standard error once the
/// capture runs.
fn start_watch(args: &[&str]) -> (std::process::Child, BufReader<std::process::ChildStderr>) {
    let mut child = common::std_bin()
        .args(["watch", "--interface", "lo", "--report-every", "1"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("watching lo"), "{line}");
    // The line is written as the capture thread starts; give it time to open its socket.
    std::thread::sleep(Duration::from_millis(1500));
    (child, stderr)
}

/// Plays an MQTT client publishing host data to `c2/beacon` against `port`, `times` times.
fn play_beacons(port: u16, times: usize) {
    for _ in 0..times {
        let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.write_all(&mqtt_connect("c2-implant-7f3a")).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        c.write_all(&mqtt_publish("c2/beacon", b"host=ws-1;user=root"))
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        c.write_all(&[0xe0, 0]).unwrap();
    }
}

/// Starts `watch` on loopback for `port` with `args`, once the capture runs plays an MQTT
/// client publishing to `c2/beacon` three times against it, and returns the running watch with
/// its standard error.
fn watch_three_beacons(
    port: u16,
    args: &[&str],
) -> (std::process::Child, BufReader<std::process::ChildStderr>) {
    let filter = format!("port {port}");
    let mut all = vec!["--filter", filter.as_str()];
    all.extend_from_slice(args);
    let started = start_watch(&all);
    play_beacons(port, 3);
    started
}

/// Stops a watch with SIGTERM and returns its exit status and the rest of its standard error.
fn stop(
    child: &mut std::process::Child,
    mut stderr: BufReader<std::process::ChildStderr>,
) -> (Option<i32>, String) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    (status.code(), rest)
}

/// `watch --format ocsf` streams: a Detection Finding line for the channel reaches the reader
/// while the watch still runs (at a report interval, not only when it stops).
#[test]
fn watch_streams_ocsf_findings() {
    if !is_root() {
        eprintln!("note: watch test skipped: capturing needs root or CAP_NET_RAW");
        return;
    }
    let mqtt = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = mqtt.local_addr().unwrap().port();
    serve(mqtt);
    let (mut child, stderr) = watch_three_beacons(port, &["--format", "ocsf"]);
    // Read the first line on another thread so a watch that writes nothing fails the test
    // after a while instead of hanging it.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(stdout).read_line(&mut first);
        let _ = tx.send(first);
    });
    let first = rx.recv_timeout(Duration::from_secs(30));
    let still_running = child.try_wait().unwrap().is_none();
    let (code, rest) = stop(&mut child, stderr);
    let first = first.unwrap_or_else(|_| panic!("no finding within 30 s: {rest}"));
    assert!(still_running, "the finding came only when the watch ended");
    assert_eq!(code, Some(0), "{rest}");
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["class_uid"], 2004, "{first}");
    assert_eq!(v["evidences"][0]["dst_endpoint"]["port"], port, "{first}");
    assert_eq!(v["finding_info"]["uid"].as_str().map(str::len), Some(16));
}

/// `watch --format html -o FILE` writes one whole report when the watch stops, with the
/// channel's alert and the live capture named as its input.
#[test]
fn watch_writes_one_html_report_when_it_stops() {
    if !is_root() {
        eprintln!("note: watch test skipped: capturing needs root or CAP_NET_RAW");
        return;
    }
    let mqtt = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = mqtt.local_addr().unwrap().port();
    serve(mqtt);
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("watch.html");
    let page_arg = page.to_str().unwrap().to_string();
    let (mut child, stderr) = watch_three_beacons(port, &["--format", "html", "-o", &page_arg]);
    std::thread::sleep(Duration::from_millis(2500));
    // Reports were rated meanwhile, but the page is written only at the end.
    let before = std::fs::read_to_string(&page).unwrap_or_default();
    let (code, rest) = stop(&mut child, stderr);
    assert_eq!(code, Some(0), "{rest}");
    assert!(before.is_empty(), "a page before the end:\n{before}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<!DOCTYPE html>").count(), 1, "{html}");
    assert!(html.trim_end().ends_with("</html>"), "{html}");
    assert!(html.contains("live capture on lo"), "{html}");
    assert!(
        html.contains("<dd>1 (live capture 1), 0 skipped; "),
        "{html}"
    );
    assert!(html.contains(&format!("127.0.0.1:{port}")), "{html}");
}

/// A watch whose group table filled says so when it stops and exits 2, as `hunt` does: two
/// brokers, room for one group.
#[test]
fn a_watch_that_hit_the_group_limit_says_so_and_exits_2() {
    if !is_root() {
        eprintln!("note: watch test skipped: capturing needs root or CAP_NET_RAW");
        return;
    }
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    let ports = [
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    ];
    serve(a);
    serve(b);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("limits.toml");
    std::fs::write(&config, "[limits]\nmax_groups = 1\n").unwrap();
    // Any other loopback traffic meanwhile only adds groups past the limit.
    let (mut child, stderr) =
        start_watch(&["--config", config.to_str().unwrap(), "--filter", "tcp"]);
    for port in ports {
        play_beacons(port, 2);
    }
    std::thread::sleep(Duration::from_millis(800));
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = BufReader::new(stdout).read_to_string(&mut out);
        out
    });
    let (code, rest) = stop(&mut child, stderr);
    let _ = reader.join();
    assert_eq!(code, Some(2), "{rest}");
    assert!(
        rest.contains("group limit reached (limits.max_groups = 1)"),
        "{rest}"
    );
}

/// The alert lines a watch wrote on standard output.
fn alerts_of(child: &mut std::process::Child) -> Vec<serde_json::Value> {
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["kind"] == "alert")
        .collect()
}

fn saved_channels(state: &Path) -> i64 {
    let c = rusqlite::Connection::open(state).unwrap();
    c.query_row("SELECT COUNT(*) FROM channels", [], |r| r.get(0))
        .unwrap()
}

/// A watch keeps history across runs as `hunt` does: the first saves the channel it saw to the
/// state store when it stops, and the second, with the same store, says the channel was seen
/// in earlier runs.
#[test]
fn a_watch_keeps_history_across_runs() {
    if !is_root() {
        eprintln!("note: watch test skipped: capturing needs root or CAP_NET_RAW");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    serve(listener);
    let args = ["--format", "jsonl", "--state", state.to_str().unwrap()];

    let (mut first, stderr) = watch_three_beacons(port, &args);
    std::thread::sleep(Duration::from_millis(1500));
    let (code, rest) = stop(&mut first, stderr);
    assert_eq!(code, Some(0), "{rest}");
    assert!(rest.contains("channels saved to"), "{rest}");
    let alerts = alerts_of(&mut first);
    assert!(!alerts.is_empty(), "{rest}");
    let said = |a: &serde_json::Value| a["reasons"].to_string().contains("seen in earlier runs");
    assert!(!alerts.iter().any(said), "{alerts:?}");
    assert!(saved_channels(&state) >= 1);

    let (mut second, stderr) = watch_three_beacons(port, &args);
    std::thread::sleep(Duration::from_millis(1500));
    let (code, rest) = stop(&mut second, stderr);
    assert_eq!(code, Some(0), "{rest}");
    let alerts = alerts_of(&mut second);
    assert!(alerts.iter().any(said), "{alerts:?}");
}
