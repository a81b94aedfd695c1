//! `pubsub-hunt explain` on the example data, whose planted channels have known answers
//! (examples/data/README.md): an alert by its short id, a host below the threshold, a group the
//! default allowlist suppressed, a low-rated group, and records that never formed a group —
//! each checked against the raw log or the `hunt` output, not against explain itself.

use assert_cmd::Command;

mod common;

use common::root;

const EXAMPLE: &str = "examples/data/conn.log";

fn run(args: &[&str]) -> (String, String, i32) {
    let out = Command::cargo_bin("pubsub-hunt")
        .unwrap()
        // Hermetic: no history from earlier runs in the user's state directory.
        .env("PUBSUB_HUNT_NO_STATE", "1")
        .current_dir(root())
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

fn explain(target: &str) -> String {
    let (out, err, code) = run(&["explain", "-j", "2", target, EXAMPLE]);
    assert_eq!(code, 0, "{err}");
    out
}

/// The example's records as (src, dst, port, proto, conn_state, local_orig), read directly.
fn records() -> Vec<[String; 6]> {
    std::fs::read_to_string(root().join(EXAMPLE))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            [f[2], f[4], f[5], f[6], f[11], f[12]].map(String::from)
        })
        .collect()
}

/// The part of the explanation about one group (from its id line to the next blank line).
fn section<'a>(text: &'a str, needle: &str) -> &'a str {
    text.split("\n\n")
        .find(|s| s.contains(needle))
        .unwrap_or_else(|| panic!("no section with {needle:?} in:\n{text}"))
}

#[test]
fn an_alert_by_its_short_id_shows_all_its_evidence() {
    let (out, _, _) = run(&["hunt", "--format", "jsonl", EXAMPLE]);
    let alerts: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!alerts.is_empty());
    for a in &alerts {
        let id = a["id"].as_str().unwrap();
        let text = explain(&id[..8]);
        assert!(
            text.starts_with(&format!("alert id {}: 1 group (1 reported", &id[..8])),
            "{text}"
        );
        let s = section(&text, id);
        assert!(s.contains("REPORTED"), "{s}");
        assert!(
            s.contains(&format!(
                "REPORTED as {} suspicion (score {})",
                a["suspicion"].as_str().unwrap(),
                a["score"]
            )),
            "{s}"
        );
        for r in a["reasons"].as_array().unwrap() {
            assert!(s.contains(r.as_str().unwrap()), "{r} missing from:\n{s}");
        }
        for (sig, _) in a["signals"].as_object().unwrap() {
            assert!(s.contains(sig.as_str()), "{sig} missing from:\n{s}");
        }
    }
}

#[test]
fn a_host_below_the_threshold_says_so_with_its_count() {
    // 10.0.0.71 made one XMPP connection: below min_connections (2).
    let n = records()
        .iter()
        .filter(|r| r[0] == "10.0.0.71" && r[2] == "5222")
        .count();
    assert_eq!(n, 1);
    let text = explain("10.0.0.71");
    let s = section(&text, "198.51.100.98:5222");
    assert!(
        s.contains(&format!(
            "NOT ALERTED: below the threshold: {n} connections or messages, 2 needed"
        )),
        "{s}"
    );
    // Its evidence is still shown.
    assert!(s.contains("evidence:"), "{s}");
}

#[test]
fn a_suppressed_group_names_the_allowlist_entry() {
    let text = explain("172.20.4.9");
    let s = section(&text, "172.20.4.9:61613");
    assert!(
        s.contains(
            "SUPPRESSED by the default allowlist's entry \"message-queue infrastructure inside \
             the network"
        ),
        "{s}"
    );
    let n = records()
        .iter()
        .filter(|r| r[1] == "172.20.4.9" && r[2] == "61613")
        .count();
    assert!(s.contains(&format!("  {n} connections,")), "{s}");
}

#[test]
fn a_low_rated_group_is_below_the_least_suspicion() {
    let text = explain("10.0.5.5");
    let s = section(&text, "10.0.5.5:1883");
    assert!(s.contains("NOT ALERTED: rated low"), "{s}");
    assert!(
        s.contains("below the least suspicion reported (medium"),
        "{s}"
    );
    // With --min-suspicion low the same group is reported.
    let (out, err, code) = run(&["explain", "--min-suspicion", "low", "10.0.5.5", EXAMPLE]);
    assert_eq!(code, 0, "{err}");
    assert!(
        section(&out, "10.0.5.5:1883").contains("REPORTED as low"),
        "{out}"
    );
}

#[test]
fn records_that_formed_no_group_are_counted_by_reason() {
    let recs = records();
    // Refused and unanswered connections to 8883.
    let failed = recs
        .iter()
        .filter(|r| r[0] == "10.0.0.70" && r[2] == "8883")
        .count();
    let text = explain("10.0.0.70");
    assert!(
        text.contains(&format!(
            "{failed} from 10.0.0.70 to 198.51.100.99:8883: the connection failed or was refused"
        )),
        "{text}"
    );
    // A host's ordinary web traffic: not a candidate.
    let web = recs
        .iter()
        .filter(|r| r[0] == "10.0.0.22" && r[1] == "93.184.142.129" && r[2] == "443")
        .count();
    assert!(web > 0);
    let text = explain("10.0.0.22");
    assert!(
        text.contains(&format!(
            "{web} from 10.0.0.22 to 93.184.142.129:443: not a candidate: the port is not a \
             pub/sub port"
        )),
        "{text}"
    );
    // Inbound XMPP (local_orig F).
    let inbound = recs
        .iter()
        .filter(|r| r[0] == "203.0.113.50" && r[2] == "5222" && r[3] == "tcp")
        .count();
    let text = explain("203.0.113.50");
    assert!(
        text.contains(&format!(
            "{inbound} from 203.0.113.50 to 10.0.0.5:5222: inbound"
        )),
        "{text}"
    );
}

#[test]
fn nothing_matching_is_said_plainly() {
    let text = explain("ffffeeee");
    assert!(text.contains("0 groups"), "{text}");
    assert!(text.contains("Nothing in the data matches"), "{text}");
}
