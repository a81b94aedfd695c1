//! Who shares a destination, on conn.log alone: many hosts reaching one external address is a
//! service people share (`shared_destination`, benign) only when they are people: hosts using it
//! without timers. A crowd mostly of machines — hosts beaconing to one public broker, devices
//! holding their sessions to their platform's regional addresses — gives a workstation among
//! them no credit, and a network most of whose other clients are devices is a device platform,
//! where a person's sessions in working hours earn no `interactive_use` credit either.

mod common;

/// Monday 2026-03-02 00:00 UTC.
const T0: i64 = 1_772_409_600;
const HOUR: i64 = 3600;
const SERVICE: &str = "203.0.113.10";
const WORKSTATION: &str = "10.1.1.50";

/// The tests' conn.log and the scenes they share.
#[derive(Default)]
struct Log(common::ConnLog);

impl Log {
    fn conn(&mut self, ts: i64, host: &str, dst: &str, port: u16, secs: f64) {
        self.0.conn(ts, host, dst, port, secs);
    }

    /// A host that looks names up every hour for three days.
    fn lookups(&mut self, host: &str) {
        self.0.lookups(T0, host, 72);
    }

    /// A host that browses two services twice a working day.
    fn browsing(&mut self, host: &str) {
        for day in 0..3 {
            for (k, web) in ["198.51.100.5", "192.0.2.80"].into_iter().enumerate() {
                let ts = T0 + day * 24 * HOUR + (9 + 4 * k as i64) * HOUR;
                self.conn(ts, host, web, 443, 40.0);
            }
        }
    }

    /// The workstation's use of the service: an hour or two on each working day, no timer.
    fn workstation_sessions(&mut self) {
        for (day, start, len) in [(0, 10.2, 1.5), (1, 13.7, 2.2), (2, 9.1, 1.1)] {
            let ts = T0 + day * 24 * HOUR + (start * HOUR as f64) as i64;
            self.conn(ts, WORKSTATION, SERVICE, 8883, len * HOUR as f64);
        }
    }

    fn write(self, path: &std::path::Path) {
        std::fs::write(path, self.0.text()).unwrap();
    }
}

/// The workstation's `shared_destination` and `interactive_use` weights.
fn credits(path: &std::path::Path) -> (serde_json::Value, serde_json::Value) {
    // The site's clock is given: a log mostly of devices' round-the-clock traffic says little
    // about when its people work.
    let config = path.with_extension("toml");
    std::fs::write(&config, "[behaviour.interactive]\nutc_offset_hours = 0.0\n").unwrap();
    let all = common::hunt_jsonl([
        std::ffi::OsStr::new("--min-suspicion"),
        "low".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        path.as_os_str(),
    ]);
    let alert = all
        .iter()
        .find(|a| a["src_ip"] == WORKSTATION && a["dst_ip"] == SERVICE)
        .unwrap_or_else(|| panic!("no alert for the workstation's channel: {all:#?}"));
    (
        alert["signals"]["shared_destination"].clone(),
        alert["signals"]["interactive_use"].clone(),
    )
}

#[test]
fn a_crowd_of_devices_or_beacons_gives_a_workstation_no_credit_and_people_do() {
    let dir = tempfile::tempdir().unwrap();
    let peers = ["10.1.2.1", "10.1.2.2", "10.1.2.3", "10.1.2.4"];

    // Devices: each holds one session to the service for the three days and looks names up.
    // Three reach the workstation's address, two others of the same network (its /24).
    let mut log = Log::default();
    log.lookups(WORKSTATION);
    log.browsing(WORKSTATION);
    log.workstation_sessions();
    for (n, host) in peers.iter().chain(["10.1.2.5"].iter()).enumerate() {
        log.lookups(host);
        let address = match n {
            0..3 => SERVICE.to_string(),
            _ => format!("203.0.113.{}", 20 + n),
        };
        log.conn(T0 + 60 + n as i64, host, &address, 8883, 71.0 * HOUR as f64);
    }
    let devices = dir.path().join("devices.log");
    log.write(&devices);
    // Nor are a person's sessions in working hours credited there: a device platform (the
    // devices reach another address of the same network, its /24).
    assert_eq!(credits(&devices), (0.0.into(), 0.0.into()));

    // Implants: three hosts check in every ten minutes, day and night.
    let mut log = Log::default();
    log.lookups(WORKSTATION);
    log.browsing(WORKSTATION);
    log.workstation_sessions();
    for (n, host) in peers.iter().take(3).enumerate() {
        log.lookups(host);
        log.browsing(host);
        for k in 0..430 {
            log.conn(T0 + 300 + n as i64 * 7 + k * 600, host, SERVICE, 8883, 1.5);
        }
    }
    let beacons = dir.path().join("beacons.log");
    log.write(&beacons);
    assert_eq!(credits(&beacons).0, 0.0);

    // People: the same four hosts browse and use the service as the workstation does.
    let mut log = Log::default();
    log.lookups(WORKSTATION);
    log.browsing(WORKSTATION);
    log.workstation_sessions();
    for (n, host) in peers.iter().enumerate() {
        log.lookups(host);
        log.browsing(host);
        for day in 0..3 {
            let ts = T0 + day * 24 * HOUR + (11 + n as i64) * HOUR + 600;
            log.conn(ts, host, SERVICE, 8883, 1.2 * HOUR as f64);
        }
    }
    let people = dir.path().join("people.log");
    log.write(&people);
    assert_eq!(credits(&people), ((-20.0).into(), (-20.0).into()));
}
