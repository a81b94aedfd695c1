//! The nftables file of `pubsub-hunt controls` at work: two network namespaces this test creates,
//! joined by a veth pair with addresses of their own (10.231.0.0/29, never the host's network),
//! a real broker (Mosquitto) listening in the second on two addresses and two ports, and the
//! generated file loaded in the first. A client there (`mosquitto_pub`) reaches the broker before
//! the file is loaded; afterwards the listed address and port are dropped while the broker's
//! other address, and the listed address on another port, still connect.
//!
//! Needs root, `ip`, `nft` and Mosquitto; scripts/test.sh installs them as root and sets
//! `PUBSUB_HUNT_REQUIRE_TOOLS=1`, which turns a skip into a failure.

use assert_cmd::Command;
use serde_json::json;
use std::path::PathBuf;
use std::process::{Command as Proc, Stdio};
use std::time::{Duration, Instant};

mod common;

const LISTED: &str = "10.231.0.2";
const OTHER: &str = "10.231.0.3";
const PORT: u16 = 1883;
const OTHER_PORT: u16 = 1884;

fn tool(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// The two namespaces, deleted (with everything in them) on drop.
struct Namespaces {
    ip: PathBuf,
    client: String,
    server: String,
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in [&self.client, &self.server] {
            let _ = Proc::new(&self.ip).args(["netns", "del", ns]).status();
        }
    }
}

/// Kills the broker on drop.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(ip: &PathBuf, args: &[&str]) {
    let out = Proc::new(ip).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Publishes one message from the client namespace; whether it got through.
fn publish(ns: &Namespaces, pubc: &PathBuf, host: &str, port: u16) -> (bool, String) {
    let out = Proc::new("timeout")
        .arg("10")
        .arg(&ns.ip)
        .args(["netns", "exec", &ns.client])
        .arg(pubc)
        .args([
            "-h",
            host,
            "-p",
            &port.to_string(),
            "-t",
            "c2/out",
            "-m",
            "x",
            "-q",
            "1",
        ])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_nftables_file_drops_the_listed_broker_and_nothing_else() {
    let tools: Vec<(&str, Option<PathBuf>)> = ["ip", "nft", "mosquitto", "mosquitto_pub"]
        .iter()
        .map(|t| (*t, tool(t)))
        .collect();
    let missing: Vec<&str> = tools
        .iter()
        .filter(|(_, p)| p.is_none())
        .map(|(t, _)| *t)
        .collect();
    if !common::is_root() || !missing.is_empty() {
        let why = format!("needs root and {missing:?}");
        assert!(
            std::env::var_os("PUBSUB_HUNT_REQUIRE_TOOLS").is_none(),
            "{why}"
        );
        eprintln!("SKIPPED: namespace test {why}");
        return;
    }
    let path = |t: &str| {
        tools
            .iter()
            .find_map(|(n, p)| (*n == t).then(|| p.clone()))
            .flatten()
            .unwrap()
    };
    let ip = path("ip");

    // The controls, from an alerts file naming the broker's first address and port.
    let dir = tempfile::tempdir().unwrap();
    let alert = json!({"kind": "alert", "id": "0123456789abcdef", "suspicion": "high",
        "score": 95, "host": "ws-01", "process": null, "dst_ip": LISTED, "dst_port": PORT,
        "protocol": "MQTT", "external": false, "destination_names": [],
        "suppressed_by": null, "app": null});
    let alerts = dir.path().join("alerts.jsonl");
    std::fs::write(&alerts, format!("{alert}\n")).unwrap();
    let out_dir = dir.path().join("controls");
    Command::cargo_bin("pubsub-hunt")
        .unwrap()
        .args(["controls", "-q", "--alerts"])
        .arg(&alerts)
        .arg("--out-dir")
        .arg(&out_dir)
        .assert()
        .success();
    let nft_file = out_dir.join("pubsub-hunt.nft");
    assert!(
        std::fs::read_to_string(&nft_file)
            .unwrap()
            .contains(&format!("{LISTED} . {PORT}"))
    );

    let tag = std::process::id();
    let ns = Namespaces {
        ip: ip.clone(),
        client: format!("phc-client-{tag}"),
        server: format!("phc-broker-{tag}"),
    };
    let veth_c = format!("phc{tag}c");
    let veth_s = format!("phc{tag}s");
    // Interface names are at most 15 bytes.
    let veth_c = &veth_c[veth_c.len().saturating_sub(15)..];
    let veth_s = &veth_s[veth_s.len().saturating_sub(15)..];
    run(&ip, &["netns", "add", &ns.client]);
    run(&ip, &["netns", "add", &ns.server]);
    run(
        &ip,
        &[
            "link", "add", veth_c, "netns", &ns.client, "type", "veth", "peer", "name", veth_s,
            "netns", &ns.server,
        ],
    );
    for (n, dev, addrs) in [
        (&ns.client, veth_c, vec!["10.231.0.1/29"]),
        (&ns.server, veth_s, vec!["10.231.0.2/29", "10.231.0.3/29"]),
    ] {
        for a in addrs {
            run(&ip, &["-n", n, "addr", "add", a, "dev", dev]);
        }
        run(&ip, &["-n", n, "link", "set", dev, "up"]);
        run(&ip, &["-n", n, "link", "set", "lo", "up"]);
    }

    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {PORT} {LISTED}\nlistener {OTHER_PORT} {LISTED}\nlistener {PORT} {OTHER}\nallow_anonymous true\n"
        ),
    )
    .unwrap();
    let _broker = Running(
        Proc::new(&ip)
            .args(["netns", "exec", &ns.server])
            .arg(path("mosquitto"))
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pubc = path("mosquitto_pub");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !publish(&ns, &pubc, LISTED, PORT).0 {
        assert!(
            Instant::now() < deadline,
            "the broker did not come up in its namespace"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for (host, port) in [(OTHER, PORT), (LISTED, OTHER_PORT)] {
        let (ok, err) = publish(&ns, &pubc, host, port);
        assert!(ok, "{host}:{port} before the blocklist: {err}");
    }

    let out = Proc::new(&ip)
        .args(["netns", "exec", &ns.client])
        .arg(path("nft"))
        .arg("-f")
        .arg(&nft_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nft -f: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (ok, err) = publish(&ns, &pubc, LISTED, PORT);
    assert!(!ok, "the listed broker {LISTED}:{PORT} still connects");
    eprintln!("listed broker refused: {}", err.trim());
    for (host, port) in [(OTHER, PORT), (LISTED, OTHER_PORT)] {
        let (ok, err) = publish(&ns, &pubc, host, port);
        assert!(
            ok,
            "{host}:{port} is not listed but no longer connects: {err}"
        );
    }
    // The drop was the file's rule: its counter saw the refused connection.
    let list = Proc::new(&ip)
        .args(["netns", "exec", &ns.client])
        .arg(path("nft"))
        .args(["list", "table", "inet", "pubsub_hunt"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.lines().any(|l| l.contains("@brokers_v4")
            && l.contains("counter packets")
            && !l.contains("packets 0 ")),
        "{text}"
    );
    // Loading the file again replaces the table instead of failing or doubling it.
    let again = Proc::new(&ip)
        .args(["netns", "exec", &ns.client])
        .arg(path("nft"))
        .arg("-f")
        .arg(&nft_file)
        .status()
        .unwrap();
    assert!(again.success());
}
