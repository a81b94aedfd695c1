//! Helpers shared by the CLI's integration tests.
//!
//! Every test runs the binary through [`bin`] or [`std_bin`]: history across runs is off there
//! (`PUBSUB_HUNT_NO_STATE=1`), so no test writes into the user's state directory and no output
//! depends on what an earlier run left. Tests of the history give `--state` a file of their own.
// Each test file uses some of these helpers.
#![allow(dead_code)]

/// The repository's root (tests read `examples/` and the shared corpus beside it from there).
pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

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

/// The alerts (JSON lines) of a `hunt` that must succeed: `args` follow
/// `hunt --format jsonl`; a failing run panics with its standard error.
pub fn hunt_jsonl<I, S>(args: I) -> Vec<serde_json::Value>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = bin()
        .current_dir(root())
        .args(["hunt", "--format", "jsonl"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
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

/// Removes what names the input an alert came from — its record samples, its sources, and the
/// file of each flow — so alerts of the same records read from different inputs (a file in
/// `hunt`, a `topic/partition` in `stream`) compare equal on everything else.
pub fn strip_input_names(alert: &mut serde_json::Value) {
    let Some(o) = alert.as_object_mut() else {
        return;
    };
    o.remove("samples");
    o.remove("sources");
    if let Some(flows) = o.get_mut("flows").and_then(|f| f.as_array_mut()) {
        for f in flows.iter_mut().filter_map(|f| f.as_object_mut()) {
            f.remove("file");
        }
    }
}
