//! Behaviour evaluation on the third, independent model (`bench/gen3`, written by a helper that
//! read neither the engine nor the other generators): seed 12, one day, through
//! `bench/gen3_eval.py`, which hunts its Zeek logs with this build's binary and scores the
//! alerts against the generator's truth.
//!
//! The goals are not met on this model (see the README, "A third, independent model"):
//! what is asserted is the level reached on 2026-12-07 (session 22), so that a change that loses
//! ground on it fails the suite. Raise the floors when the engine improves. Seed 12 (as the
//! generator makes it since its calendar was mended in session 22) holds a beacon that the
//! internal broker's own host runs only at night, every ten minutes: the period one of the
//! broker's clients publishes on all day, so the beacon was once taken for that client's traffic
//! relayed and missed. A relay runs as long as what it relays; this does not. The implant
//! relaying through the broker, with no leg outside in the data, was missed until session 24: a
//! timer of its own among the broker's clients, level with a Telegraf agent's per-flush
//! connections, until its check-ins were seen to be answered now and then with more than
//! acknowledgements (`tasked_check_ins`); every revealable channel is found on both sources.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn evaluate() -> Value {
    let bin = assert_cmd::cargo::cargo_bin("pubsub-hunt");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gen3-eval");
    std::fs::create_dir_all(&out_dir).unwrap();
    let json = out_dir.join("figures.json");
    let status = Command::new("python3")
        .current_dir(repo_root())
        .args(["bench/gen3_eval.py", "--seeds", "12", "--hours", "24"])
        .arg("--bin-dir")
        .arg(bin.parent().unwrap())
        .arg("--keep")
        .arg(&out_dir)
        .arg("--json")
        .arg(&json)
        .status()
        .expect("python3 runs bench/gen3_eval.py");
    assert!(status.success(), "bench/gen3_eval.py failed: {status}");
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

#[test]
fn the_full_engine_holds_its_level_on_the_third_model() {
    let figures = evaluate();
    // (source, least C2 channels found of the revealable, most benign alerts per true one)
    let floors = [("zeek", 18, 0.15), ("zeek_names", 18, 0.20)];
    for (source, found, benign_per_true) in floors {
        let full = &figures[source]["full"]["12"];
        let seed = &figures[source]["seed"]["12"];
        let detected = full["detected"].as_u64().unwrap();
        assert_eq!(full["revealable"], 18, "{source}: {full}");
        assert!(
            detected >= found,
            "{source}: {detected} C2 found, fewer than {found}: {full}"
        );
        let (t, b) = (
            full["true"].as_f64().unwrap(),
            full["benign"].as_f64().unwrap(),
        );
        assert!(
            b <= benign_per_true * t,
            "{source}: {b} benign alerts for {t} true ones, more than {benign_per_true} each: {full}"
        );
        // The seed rule's benign alerts are cut by at least 85 %.
        let seed_benign = seed["benign"].as_f64().unwrap();
        assert!(
            b <= 0.15 * seed_benign,
            "{source}: {b} benign alerts against the seed rule's {seed_benign}"
        );
        let missed: Vec<&str> = full["missed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["category"].as_str().unwrap())
            .collect();
        for category in [
            "mqtt_night_only",
            "mqtt_beacon_vps",
            "internal_broker_relay",
        ] {
            assert!(
                !missed.contains(&category),
                "{source}: {category} was missed (the broker host's night beacon is its own, not \
                 a client's relayed; the relay's check-ins are tasked): {full}"
            );
        }
    }
}
