//! A fleet of devices on conn.log alone: meters that do nothing but name lookups and check in
//! to their vendor's pool of addresses every 15 minutes (connect, publish, disconnect), each
//! check-in at either address. One such device is what a box planted to talk to its controller
//! looks like, and keeps the seed's suspicion; several, with no other host reaching the service,
//! are a product's fleet (`device_fleet`, low). A timer the whole fleet keeps is the firmware's
//! and weighs nothing; a host that does other work among them takes the fleet's credit away,
//! unless it keeps the devices' timer there (a member that also does other work, whose channel
//! there is the fleet's check-in). Such a member's channel where none of its fleet goes (a relay
//! through the internal broker) stands out as the fleet's outlier.

mod common;

/// Monday 2026-03-02 00:00 UTC.
const T0: i64 = 1_772_409_600;
const HOUR: i64 = 3600;
const POOL: [&str; 2] = ["203.0.113.40", "198.51.100.40"];
const FLEET: [&str; 3] = ["10.1.2.10", "10.1.2.11", "10.1.2.12"];
const LONE: &str = "10.1.2.20";
const LONE_POOL: [&str; 2] = ["192.0.2.60", "203.0.113.160"];
const WORKSTATION: &str = "10.1.2.30";

#[derive(Default)]
struct Log(common::ConnLog);

impl Log {
    /// A day of hourly name lookups.
    fn lookups(&mut self, host: &str) {
        self.0.lookups(T0, host, 25);
    }

    /// Check-ins every 15 minutes (a few seconds late or early) through a day, each to the
    /// address of `pool` the vendor's round robin gives: irregular at each address.
    fn check_ins(&mut self, host: &str, pool: &[&str], salt: i64) {
        for k in 0..96 {
            let ts = T0 + 120 + k * 900 + (k * 37 + salt * 11) % 41;
            // The round robin's pick: a multiplicative hash of the check-in's number.
            let pick = ((k + 1) as u64 * 0x9E37_79B9 + salt as u64 * 0x85EB_CA6B) >> 13;
            let at = pool[(pick % pool.len() as u64) as usize];
            self.0.push(ts, host, at, 8883, 3.5, (1800, 900));
        }
    }

    fn browsing(&mut self, host: &str) {
        for k in 0..20 {
            let web = ["198.51.100.5", "192.0.2.80", "203.0.113.200"][k % 3];
            self.0
                .conn(T0 + 8 * HOUR + k as i64 * 1500, host, web, 443, 40.0);
        }
    }

    /// A person's irregular sessions with the pool through a working day.
    fn browsing_to_pool(&mut self) {
        for (k, minutes) in [(0, 7.0), (1, 22.0), (2, 3.0), (3, 41.0), (4, 12.0)] {
            let ts = T0 + 8 * HOUR + k * 5417 + (k * k * 611) % 1800;
            self.0.push(
                ts,
                WORKSTATION,
                POOL[k as usize % 2],
                8883,
                minutes * 60.0,
                (4000, 9000),
            );
        }
    }

    fn hunt(self) -> Vec<serde_json::Value> {
        let dir = tempfile::tempdir().unwrap();
        let conn = dir.path().join("conn.log");
        std::fs::write(&conn, self.0.text()).unwrap();
        common::hunt_jsonl(["--min-suspicion", "low", conn.to_str().unwrap()])
    }
}

fn of<'a>(alerts: &'a [serde_json::Value], host: &str) -> Vec<&'a serde_json::Value> {
    alerts.iter().filter(|a| a["src_ip"] == host).collect()
}

/// The fleet, the lone meter, and (`with`) more of the log.
fn meters(with: impl FnOnce(&mut Log)) -> Vec<serde_json::Value> {
    let mut log = Log::default();
    for (n, host) in FLEET.into_iter().enumerate() {
        log.lookups(host);
        log.check_ins(host, &POOL, n as i64);
    }
    log.lookups(LONE);
    log.check_ins(LONE, &LONE_POOL, 7);
    with(&mut log);
    log.hunt()
}

#[test]
fn meters_of_one_fleet_are_low_and_a_lone_one_is_not() {
    let all = meters(|_| {});
    for host in FLEET {
        let channels = of(&all, host);
        assert_eq!(channels.len(), 2, "{host}: {all:#?}");
        for a in channels {
            assert_eq!(a["suspicion"], "low", "{a}");
            assert_eq!(a["signals"]["device_fleet"], -20.0, "{a}");
            assert!(common::has_reason(a, "a product's fleet"), "{a}");
            assert!(common::has_reason(a, "the 2 other hosts reaching"), "{a}");
        }
    }
    let lone = of(&all, LONE);
    assert_eq!(lone.len(), 2, "{all:#?}");
    for a in lone {
        assert_ne!(a["suspicion"], "low", "{a}");
        assert!(a["signals"].get("device_fleet").is_none(), "{a}");
    }
}

/// A workstation's connections to the pool every `period` seconds through the day.
fn polling(log: &mut Log, period: i64) {
    for k in 0..(24 * HOUR / period) {
        let ts = T0 + 300 + k * period + (k * 13) % 29;
        log.0.push(
            ts,
            WORKSTATION,
            POOL[(k % 2) as usize],
            8883,
            2.0,
            (900, 600),
        );
    }
}

#[test]
fn a_busy_host_reaching_the_fleets_service_on_its_own_terms_takes_its_credit_away() {
    // A workstation using the service without a timer, or on a timer of its own.
    let uses: [&dyn Fn(&mut Log); 2] =
        [&|log: &mut Log| log.browsing_to_pool(), &|log: &mut Log| {
            polling(log, 240)
        }];
    for using in uses {
        let all = meters(|log| {
            log.lookups(WORKSTATION);
            log.browsing(WORKSTATION);
            using(log);
        });
        assert!(!of(&all, WORKSTATION).is_empty(), "{all:#?}");
        for host in FLEET.into_iter().chain([WORKSTATION]) {
            for a in of(&all, host) {
                assert!(a["signals"].get("device_fleet").is_none(), "{a}");
                assert_ne!(a["suspicion"], "low", "{a}");
            }
        }
    }
}

#[test]
fn a_busy_member_on_the_fleets_timer_is_the_fleets_check_in() {
    // A meter that also does other work (or a workstation running the vendor's agent), checking
    // in as the devices do: the devices stay a fleet, and its channel there is the fleet's
    // check-in too (what else it does is judged on its own channels).
    let all = meters(|log| {
        log.lookups(WORKSTATION);
        log.browsing(WORKSTATION);
        log.check_ins(WORKSTATION, &POOL, 3);
    });
    for host in FLEET {
        for a in of(&all, host) {
            assert_eq!(a["signals"]["device_fleet"], -20.0, "{a}");
            assert!(
                common::has_reason(a, "1 more host reaching it that does other work keeps"),
                "{a}"
            );
            assert_eq!(a["suspicion"], "low", "{a}");
        }
    }
    let busy = of(&all, WORKSTATION);
    assert!(!busy.is_empty(), "{all:#?}");
    for a in busy {
        assert_eq!(a["signals"]["device_fleet"], -20.0, "{a}");
        assert_eq!(a["signals"]["beacon"], 0.0, "{a}");
        assert!(common::has_reason(a, "does other work too"), "{a}");
        assert_eq!(a["suspicion"], "low", "{a}");
    }
}

#[test]
fn a_timer_the_whole_fleet_keeps_weighs_nothing() {
    let mut log = Log::default();
    for (n, host) in FLEET.into_iter().enumerate() {
        log.lookups(host);
        log.check_ins(host, &POOL[..1], n as i64);
    }
    let all = log.hunt();
    for host in FLEET {
        let [a] = of(&all, host)[..] else {
            panic!("{host}: {all:#?}")
        };
        assert_eq!(a["signals"]["beacon"], 0.0, "{a}");
        assert_eq!(a["signals"]["device_fleet"], -20.0, "{a}");
        assert!(common::has_reason(a, "the firmware's check-in"), "{a}");
        assert_eq!(a["suspicion"], "low", "{a}");
    }
}

/// The internal broker, its sensors (sessions held all day) and `host`'s check-ins to it every
/// 211 seconds (a relay's timer no sensor keeps).
fn relay_through_the_broker(log: &mut Log, host: &str) {
    const BROKER: &str = "10.1.9.13";
    for i in 0..4 {
        let sensor = format!("10.1.3.{}", 20 + i);
        log.0.lookups(T0, &sensor, 25);
        for k in 0..4 {
            log.0.push(
                T0 + k * 6 * HOUR + i * 7,
                &sensor,
                BROKER,
                1883,
                6.0 * 3600.0 - 30.0,
                (9000, 800),
            );
        }
    }
    for k in 0..(24 * HOUR / 211) {
        let ts = T0 + 90 + k * 211 + (k * 17) % 23;
        log.0.push(ts, host, BROKER, 1883, 0.4, (250, 90));
    }
}

#[test]
fn a_fleet_member_talking_where_its_fleet_does_not_stands_out() {
    let member = FLEET[2];
    let all = meters(|log| relay_through_the_broker(log, member));
    let relay: Vec<_> = of(&all, member)
        .into_iter()
        .filter(|a| a["dst_port"] == 1883)
        .collect();
    let [a] = relay[..] else { panic!("{all:#?}") };
    assert_eq!(a["signals"]["fleet_outlier"], 15.0, "{a}");
    assert!(
        common::has_reason(
            a,
            "as 2 devices there do (a fleet's member), and none of them reaches 10.1.9.13"
        ),
        "{a}"
    );
    assert_ne!(a["suspicion"], "low", "{a}");
    // Its check-ins with the fleet are the fleet's, at both addresses of the service.
    for a in of(&all, member)
        .into_iter()
        .filter(|a| a["dst_port"] == 8883)
    {
        assert!(a["signals"].get("fleet_outlier").is_none(), "{a}");
        assert_eq!(a["signals"]["device_fleet"], -20.0, "{a}");
        assert_eq!(a["suspicion"], "low", "{a}");
    }
    // The same relay on a workstation that belongs to no fleet is not a fleet's outlier.
    let all = meters(|log| {
        log.lookups(WORKSTATION);
        log.browsing(WORKSTATION);
        relay_through_the_broker(log, WORKSTATION);
    });
    for a in of(&all, WORKSTATION) {
        assert!(a["signals"].get("fleet_outlier").is_none(), "{a}");
    }
}
