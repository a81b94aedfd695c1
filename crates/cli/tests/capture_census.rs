//! The host census of a packet capture: a capture shows what a host did (so a workstation
//! that browses while it holds a session to a cloud broker through the night is a busy host
//! keeping the service around the clock) but, since a capture filter may have dropped the rest,
//! not that a host did nothing else (so it makes no host a dedicated device) — unless it holds
//! several hosts' other work (web), which a capture filtered to pub/sub would not. Built from
//! hand-made packets: the timing and the other traffic are the point, not the protocol.

mod common;

use pubsub_hunt_testgen::raw::Capture;

/// Monday 2026-03-02 00:00 UTC.
const T0: u32 = 1_772_409_600;
const HOUR: u32 = 3600;
const BROKER: [u8; 4] = [52, 28, 0, 10];
const WORKSTATION: [u8; 4] = [10, 20, 0, 50];
const DEVICE: [u8; 4] = [10, 20, 0, 60];

/// Sessions opened and closed in working hours but for the last closing (06:05 the next day):
/// as a person's sessions would be, if they had not joined into a day without a break.
const SESSIONS: [(u32, u32); 3] = [
    (6 * HOUR + 600, 13 * HOUR),
    (13 * HOUR + 60, 19 * HOUR + 3000),
    (19 * HOUR + 3060, 30 * HOUR + 300),
];

/// A day of capture: the workstation and the device each hold a session to the broker on
/// 8883 from 06:10 to 06:05 the next day, reconnecting twice ([`SESSIONS`]); the device also
/// looks up names. With `browsing`, the workstation also reaches two web services, and so do
/// `colleagues` other workstations.
fn day(path: &std::path::Path, browsing: bool, colleagues: u8) {
    let mut c = Capture::default();
    for (host, base) in [(WORKSTATION, 50_000u16), (DEVICE, 51_000)] {
        for (k, (from, to)) in SESSIONS.into_iter().enumerate() {
            c.session(host, base + k as u16, BROKER, 8883, T0 + from, T0 + to);
        }
    }
    for k in 0..4u32 {
        let t = T0 + 2 * HOUR + k * 5 * HOUR;
        c.session(DEVICE, 52_000 + k as u16, [10, 20, 0, 2], 53, t, t + 1);
    }
    if browsing {
        for (k, web) in [[93, 184, 215, 14], [151, 101, 1, 69]]
            .into_iter()
            .enumerate()
        {
            let t = T0 + (9 + 3 * k as u32) * HOUR;
            c.session(WORKSTATION, 53_000 + k as u16, web, 443, t, t + 300);
            for n in 0..colleagues {
                let host = [10, 20, 0, 100 + n];
                c.session(host, 54_000 + k as u16, web, 443, t + 60, t + 400);
            }
        }
    }
    std::fs::write(path, c.to_pcap()).unwrap();
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
