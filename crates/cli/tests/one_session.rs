//! One connection of a program running from outside any installed location: Sysmon records a
//! connection when it opens, so an implant holding its session all day is one event 3, which the
//! seed's "repeated connections" would never report. A program from a user-writable place that
//! reached an external broker is rated on that one connection; installed software, and the same
//! program reaching an internal broker, keep the seed's threshold.

mod common;

/// One Sysmon event 3 per `(image, source, destination)`, a minute apart, on port 1883.
fn sysmon(events: &[(&str, &str, &str)]) -> String {
    let mut out = String::new();
    for (k, (image, src, dst)) in events.iter().enumerate() {
        let event = common::SysmonConnection {
            n: k as u64,
            host: &format!("WS-{k:02}"),
            image,
            src,
            dst,
            port: 1883,
            utc: format!("2024-03-04 08:{k:02}:00.000"),
        };
        out.push_str(&event.line());
    }
    out
}

const STAGED: &str = r"C:\Users\Public\Libraries\OneDriveStandaloneUpdater.exe";
const INSTALLED: &str = r"C:\Program Files\Acme\Telemetry\acme-agent.exe";

#[test]
fn a_program_from_a_user_writable_place_is_rated_on_its_one_connection_to_an_external_broker() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sysmon.json");
    std::fs::write(
        &path,
        sysmon(&[
            (STAGED, "10.0.0.11", "198.51.100.20"),
            (INSTALLED, "10.0.0.12", "198.51.100.21"),
            (STAGED, "10.0.0.13", "10.0.0.200"),
        ]),
    )
    .unwrap();
    let all = common::hunt_jsonl([path.as_os_str()]);
    let staged: Vec<_> = all
        .iter()
        .filter(|a| a["dst_ip"] == "198.51.100.20")
        .collect();
    assert_eq!(staged.len(), 1, "{all:?}");
    let a = staged[0];
    assert_eq!(a["connections"], 1, "{a}");
    assert_ne!(a["suspicion"], "low", "{a}");
    assert_eq!(a["signals"]["process_in_user_writable"], 10.0, "{a}");
    assert!(
        common::has_reason(
            a,
            "rated on one connection: its program runs from outside any"
        ),
        "{a}"
    );
    // Installed software and an internal broker keep the seed's two connections.
    assert!(
        all.iter()
            .all(|a| a["dst_ip"] != "198.51.100.21" && a["dst_ip"] != "10.0.0.200"),
        "{all:?}"
    );
}
