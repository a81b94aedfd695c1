//! The host census of a packet capture: a capture shows what a host did (so a workstation
//! that browses while it holds a session to a cloud broker through the night is a busy host
//! keeping the service around the clock) but, since a capture filter may have dropped the rest,
//! not that a host did nothing else (so it makes no host a dedicated device) — unless it holds
//! several hosts' other work (web), which a capture filtered to pub/sub would not. Built from
//! hand-made packets: the timing and the other traffic are the point, not the protocol.

mod common;

use pubsub_hunt_testgen::sensor_day::{self, DEVICE, WORKSTATION};

/// The census day (`pubsub_hunt_testgen::sensor_day`) as a capture file: with `browsing`, the
/// workstation reaches two web services, and so do `colleagues` other workstations.
fn day(path: &std::path::Path, browsing: bool, colleagues: u8) {
    std::fs::write(path, sensor_day::capture(browsing, colleagues)).unwrap();
}

fn alerts(path: &std::path::Path) -> Vec<serde_json::Value> {
    common::hunt_jsonl([
        std::ffi::OsStr::new("--min-suspicion"),
        "low".as_ref(),
        path.as_os_str(),
    ])
}

fn alert_of(all: &[serde_json::Value], host: [u8; 4]) -> Option<&serde_json::Value> {
    let host = format!("{}.{}.{}.{}", host[0], host[1], host[2], host[3]);
    all.iter()
        .find(|a| a["src_ip"] == host.as_str() && a["dst_port"] == 8883)
}

#[test]
fn a_capture_shows_a_busy_host_keeping_a_service_around_the_clock_and_a_device_only_when_unfiltered()
 {
    let dir = tempfile::tempdir().unwrap();
    let busy = dir.path().join("busy.pcap");
    day(&busy, true, 0);
    let all = alerts(&busy);

    let w = alert_of(&all, WORKSTATION).expect("the workstation's sessions are reported");
    assert_eq!(w["signals"]["kept_around_the_clock"], 10.0, "{w}");
    assert!(
        w["reasons"].as_array().unwrap().iter().any(|r| r
            .as_str()
            .unwrap()
            .contains("whose other traffic in the same input")),
        "{w}"
    );
    // Kept open through the night: its openings in working hours are not a person's sessions.
    assert!(w["signals"].get("interactive_use").is_none(), "{w}");

    // The device's only other traffic is name lookups, but a capture filter could have dropped
    // the rest: it is neither a busy host nor a dedicated device.
    let d = alert_of(&all, DEVICE).expect("the device's sessions are reported");
    assert!(d["signals"].get("kept_around_the_clock").is_none(), "{d}");
    assert!(d["signals"].get("dedicated_device").is_none(), "{d}");

    // With two colleagues browsing as well, three hosts' web traffic is in the capture: it was
    // not filtered to pub/sub and lookups, so it shows what the device did not do.
    let sensor = dir.path().join("sensor.pcap");
    day(&sensor, true, 2);
    let all = alerts(&sensor);
    let d = alert_of(&all, DEVICE).expect("the device's sessions are rated");
    assert_eq!(d["signals"]["dedicated_device"], -20.0, "{d}");
    assert_eq!(d["suspicion"], "low", "{d}");
    let w = alert_of(&all, WORKSTATION).expect("the workstation's sessions are reported");
    assert!(w["signals"].get("dedicated_device").is_none(), "{w}");
    assert_eq!(w["signals"]["kept_around_the_clock"], 10.0, "{w}");

    // Without the browsing, nothing shows the workstation doing other work.
    let quiet = dir.path().join("quiet.pcap");
    day(&quiet, false, 0);
    let all = alerts(&quiet);
    let w = alert_of(&all, WORKSTATION).expect("the workstation's sessions are reported");
    assert!(w["signals"].get("kept_around_the_clock").is_none(), "{w}");
}
