//! Helpers shared by the CLI's integration tests.
//!
//! Every test runs the binary through [`bin`] or [`std_bin`]: history across runs is off there
//! (`PUBSUB_HUNT_NO_STATE=1`), so no test writes into the user's state directory and no output
//! depends on what an earlier run left. Tests of the history give `--state` a file of their own.
// Each test file uses some of these helpers.
#![allow(dead_code)]

/// The binary, with history across runs off.
pub fn bin() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("pubsub-hunt").unwrap();
    c.env("PUBSUB_HUNT_NO_STATE", "1");
    c
}

/// The binary as a plain process (for tests that signal or time it), with history off.
pub fn std_bin() -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("pubsub-hunt"));
    c.env("PUBSUB_HUNT_NO_STATE", "1");
    c
}

/// Whether the tests run as root (live capture and `setpriv` need it).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}
