//! What the exit status says about the results: a standard output closed by the caller (`>&-`)
//! is refused with exit 3 before anything is read, instead of the results vanishing behind a
//! success status; `> /dev/null` is the caller's choice and succeeds.

use std::process::{Command, Output};

/// `pubsub-hunt hunt` on the example log through `sh`, with `redirect` applied to it.
fn hunt_with(redirect: &str) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("pubsub-hunt");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/data/conn.log");
    Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$0\" hunt \"$1\" {redirect}"))
        .arg(bin)
        .arg(data)
        .env("PUBSUB_HUNT_NO_STATE", "1")
        .output()
        .expect("sh runs")
}

#[test]
fn a_closed_standard_output_is_refused() {
    let out = hunt_with(">&-");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("standard output is closed"),
        "the reason is given: {stderr}"
    );
    assert!(
        !stderr.contains("alerts"),
        "refused before reading: {stderr}"
    );
}

#[test]
fn output_sent_to_dev_null_is_a_choice() {
    let out = hunt_with(">/dev/null");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("alerts"), "{stderr}");
}
