//! The machine formats for SOC pipelines and the HTML report, on the example data and a real
//! capture: golden tests (insta) of `--format ocsf`, `--format ecs` and `--format html`; OCSF
//! findings validated by an independent OCSF implementation (py-ocsf-models, through
//! `tests/python/ocsf_check.py`); ECS documents checked against Elastic's own field definitions
//! (npm `@elastic/ecs`, through `tests/node/ecs_check.js`). Both carry the same alert ids as the
//! JSON lines of the same run.
//!
//! The oracles are installed by `scripts/test.sh` (`PUBSUB_HUNT_PYTHON`,
//! `PUBSUB_HUNT_NODE_PATH`); without them those checks skip with a message, unless
//! `PUBSUB_HUNT_REQUIRE_ORACLES=1`, which makes a missing oracle a failure.

mod common;

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

const EXAMPLE: &str = "examples/data/conn.log";
/// nDPI's labelled MQTT capture (bus simulator and broker on port 17501).
const CAPTURE: &str = "../shared/corpus/pcaps/ndpi/coap_mqtt.pcap";

use common::root;

fn hunt(args: &[&str]) -> String {
    let out = common::bin()
        .current_dir(root())
        .args(["hunt", "--threads", "2", "--quiet"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The alert ids of the JSON lines of the same input.
fn jsonl_ids(input: &str) -> Vec<String> {
    lines(&hunt(&["--format", "jsonl", input]))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn required() -> bool {
    std::env::var("PUBSUB_HUNT_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

fn skip(why: &str) {
    assert!(
        !required(),
        "oracle required (PUBSUB_HUNT_REQUIRE_ORACLES=1) but {why}"
    );
    eprintln!("SKIPPED: {why} (run scripts/test.sh to install the oracle)");
}

/// Runs an oracle with `input` on standard input; its JSON summary, or `None` when skipped.
fn oracle(mut cmd: std::process::Command, input: &str) -> Option<Value> {
    let child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            skip(&format!("the oracle does not run: {e}"));
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "oracle rejected the output:\n{stderr}\n{stdout}"
    );
    Some(serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}")))
}

fn python() -> Option<String> {
    match std::env::var("PUBSUB_HUNT_PYTHON") {
        Ok(p) if !p.trim().is_empty() => {
            let probe = std::process::Command::new(&p)
                .args(["-c", "import py_ocsf_models"])
                .output();
            if probe.is_ok_and(|o| o.status.success()) {
                Some(p)
            } else {
                skip(&format!("{p} cannot import py_ocsf_models"));
                None
            }
        }
        _ => {
            skip("PUBSUB_HUNT_PYTHON is not set");
            None
        }
    }
}

fn node_path() -> Option<String> {
    match std::env::var("PUBSUB_HUNT_NODE_PATH") {
        Ok(p) if Path::new(&p).join("@elastic/ecs").is_dir() => Some(p),
        _ => {
            skip("PUBSUB_HUNT_NODE_PATH does not hold @elastic/ecs");
            None
        }
    }
}

#[test]
fn ocsf_golden_and_valid() {
    for (name, input) in [
        ("ocsf_example_conn_log", EXAMPLE),
        ("ocsf_coap_mqtt_pcap", CAPTURE),
    ] {
        let out = hunt(&["--format", "ocsf", input]);
        insta::assert_snapshot!(name, out);
        let findings = lines(&out);
        let ids = jsonl_ids(input);
        assert!(!ids.is_empty());
        assert_eq!(findings.len(), ids.len());
        for (f, id) in findings.iter().zip(&ids) {
            assert_eq!(f["class_uid"], 2004);
            assert_eq!(f["finding_info"]["uid"], id.as_str());
            assert_eq!(f["metadata"]["uid"], id.as_str());
        }
        let Some(py) = python() else { continue };
        let mut cmd = std::process::Command::new(py);
        cmd.arg(root().join("tests/python/ocsf_check.py"));
        let Some(summary) = oracle(cmd, &out) else {
            continue;
        };
        assert_eq!(summary["findings"], ids.len(), "{summary}");
        let checked: Vec<&str> = summary["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(checked, ids);
    }
}

#[test]
fn ocsf_oracle_rejects_a_broken_finding() {
    // The oracle must be able to fail: a finding without its required severity, and one with a
    // field OCSF does not define, are both refused.
    let Some(py) = python() else { return };
    let good = hunt(&["--format", "ocsf", EXAMPLE]);
    let first: Value = serde_json::from_str(good.lines().next().unwrap()).unwrap();
    for broken in [
        {
            let mut v = first.clone();
            v.as_object_mut().unwrap().remove("severity_id");
            v
        },
        {
            let mut v = first.clone();
            v["finding_info"]["made_up_field"] = Value::from(1);
            v
        },
    ] {
        let mut child = std::process::Command::new(&py)
            .arg(root().join("tests/python/ocsf_check.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{broken}").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success(), "accepted {broken}");
    }
}

#[test]
fn ecs_golden_and_valid() {
    for (name, input) in [
        ("ecs_example_conn_log", EXAMPLE),
        ("ecs_coap_mqtt_pcap", CAPTURE),
    ] {
        let out = hunt(&["--format", "ecs", input]);
        insta::assert_snapshot!(name, out);
        let docs = lines(&out);
        let ids = jsonl_ids(input);
        assert_eq!(docs.len(), ids.len());
        for (d, id) in docs.iter().zip(&ids) {
            assert_eq!(d["event"]["kind"], "alert");
            assert_eq!(d["event"]["id"], id.as_str());
            assert_eq!(
                d["threat"]["technique"]["subtechnique"]["id"][0],
                "T1071.005"
            );
        }
        let Some(node_path) = node_path() else {
            continue;
        };
        let mut cmd = std::process::Command::new("node");
        cmd.arg(root().join("tests/node/ecs_check.js"))
            .env("NODE_PATH", &node_path);
        let Some(summary) = oracle(cmd, &out) else {
            continue;
        };
        assert_eq!(summary["documents"], ids.len(), "{summary}");
        assert!(summary["fields"].as_u64().unwrap() > 30 * ids.len() as u64);
    }
}

#[test]
fn ecs_oracle_rejects_unknown_fields_and_values() {
    let Some(node_path) = node_path() else { return };
    let good = hunt(&["--format", "ecs", EXAMPLE]);
    let first: Value = serde_json::from_str(good.lines().next().unwrap()).unwrap();
    for broken in [
        {
            let mut v = first.clone();
            v["event"]["kind"] = Value::from("finding");
            v
        },
        {
            let mut v = first.clone();
            v["destination"]["prot"] = Value::from(1883);
            v
        },
        {
            let mut v = first.clone();
            v["destination"]["port"] = Value::from("1883");
            v
        },
    ] {
        let mut child = std::process::Command::new("node")
            .arg(root().join("tests/node/ecs_check.js"))
            .env("NODE_PATH", &node_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{broken}").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success(), "accepted {broken}");
    }
}

#[test]
fn html_golden() {
    for (name, input) in [
        ("html_example_conn_log", EXAMPLE),
        ("html_coap_mqtt_pcap", CAPTURE),
    ] {
        let out = hunt(&["--format", "html", input]);
        insta::assert_snapshot!(name, out);
    }
}

/// A report of part of the run (`--host`, `--top`) says so, with how many alerts it left out,
/// and its counts are of the alerts it shows; the JSON lines of the whole run are the oracle.
#[test]
fn html_of_a_view_says_what_it_left_out() {
    let all = lines(&hunt(&["--format", "jsonl", EXAMPLE]));
    let host = all[0]["host"].as_str().unwrap();
    let of_host = all.iter().filter(|a| a["host"] == host).count();
    assert!(of_host >= 2, "the example has a host with two alerts");
    let page = hunt(&["--format", "html", "--host", host, "--top", "1", EXAMPLE]);
    assert_eq!(page.matches("<section class=\"alert ").count(), 1);
    assert!(
        page.contains(&format!(
            "<dt>View</dt><dd>only host {host}, top 1, {} more alerts left out; ",
            all.len() - 1
        )),
        "{page}"
    );
    assert!(
        page.contains("<div class=\"card\"><b>1</b>alerts</div>"),
        "{page}"
    );
    let whole = hunt(&["--format", "html", EXAMPLE]);
    assert!(!whole.contains("<dt>View</dt>"));
}

/// The clients' identities reach both SOC formats' own objects as the JSON lines carry them:
/// the user names of Arkime's MQTT capture (`admin`, `modern_user`), which both oracles accept.
#[test]
fn ecs_and_ocsf_carry_the_clients_identities() {
    const MQTT: &str = "../shared/corpus/pcaps/arkime/mqtt_synthetic.pcap";
    let args = ["--min-suspicion", "low", "--min-connections", "1", MQTT];
    let users = |v: &Value| -> Vec<String> {
        v["usernames"]
            .as_array()
            .map(|a| a.iter().map(|u| u.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let jsonl: Vec<Vec<String>> = lines(&hunt(&[&["--format", "jsonl"][..], &args].concat()))
        .iter()
        .map(|a| users(&a["app"]))
        .collect();
    assert!(jsonl.iter().flatten().any(|u| u == "admin"), "{jsonl:?}");

    let ocsf = hunt(&[&["--format", "ocsf"][..], &args].concat());
    let in_ocsf: Vec<Vec<String>> = lines(&ocsf)
        .iter()
        .map(|f| users(&f["unmapped"]["pubsub_hunt"]))
        .collect();
    assert_eq!(in_ocsf, jsonl);
    let ecs = hunt(&[&["--format", "ecs"][..], &args].concat());
    let in_ecs: Vec<Vec<String>> = lines(&ecs)
        .iter()
        .map(|d| users(&d["pubsub_hunt"]))
        .collect();
    assert_eq!(in_ecs, jsonl);

    if let Some(py) = python() {
        let mut cmd = std::process::Command::new(py);
        cmd.arg(root().join("tests/python/ocsf_check.py"));
        oracle(cmd, &ocsf);
    }
    if let Some(node_path) = node_path() {
        let mut cmd = std::process::Command::new("node");
        cmd.arg(root().join("tests/node/ecs_check.js"))
            .env("NODE_PATH", &node_path);
        oracle(cmd, &ecs);
    }
}
