//! The binary on a day of conn.log around an internal MQTT broker: an implant relaying through
//! it on a timer of its own, whose broker answers its check-ins with acknowledgements and now
//! and then with a task, is told from a metrics agent connecting for every flush, answered with
//! CONNACK alone (`tasked_check_ins`, docs/beacon-and-scoring.md).

mod common;

use common::ConnLog;

const BROKER: &str = "10.1.0.20";
const T0: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

/// A small deterministic jitter source (the test must not depend on a random seed).
struct Jitter(u64);

impl Jitter {
    /// A value in `-spread..=spread`.
    fn next(&mut self, spread: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as i64 % (2 * spread + 1)) - spread
    }
}

fn site(days: i64) -> String {
    let end = T0 + days * DAY;
    let mut log = ConnLog::default();
    let mut jitter = Jitter(7);
    // Thirty sensors holding their session all day, as most of a broker's clients do.
    for s in 0..30 {
        let host = format!("10.1.6.{}", 10 + s);
        for d in 0..days {
            log.push(
                T0 + d * DAY + 60 + s,
                &host,
                BROKER,
                1883,
                86_000.0,
                (200_000, 2_000),
            );
        }
        log.lookups(T0, &host, 24 * days);
    }
    // Six sensors publishing every five minutes, answered with CONNACK and PUBACK.
    for s in 0..6 {
        let host = format!("10.1.5.{}", 10 + s);
        let mut t = T0 + s * 17;
        while t < end {
            log.push(t, &host, BROKER, 1883, 0.3, (150, 8));
            t += 300 + jitter.next(3);
        }
        log.lookups(T0, &host, 24 * days);
    }
    // A metrics agent on a server, a connection for every one-minute flush, answered with
    // CONNACK alone; the server does other work.
    let agent = "10.1.2.30";
    let mut t = T0 + 5;
    while t < end {
        log.push(t, agent, BROKER, 1883, 0.05, (2400 + (t % 900) as u64, 4));
        t += 60 + jitter.next(1);
    }
    for h in 0..24 * days {
        log.conn(T0 + h * 3600 + 40, agent, "10.1.0.40", 5432, 20.0);
    }
    log.lookups(T0, agent, 24 * days);
    // The implant on a workstation: every 137 s (±10 %), answered with CONNACK and SUBACK, and
    // with a task (of its own size) on every 40th check-in.
    let implant = "10.1.3.44";
    let (mut t, mut k) = (T0 + 11, 0);
    while t < end {
        let back = if k % 40 == 39 {
            400 + (k * 53) % 2400
        } else {
            9
        };
        log.push(t, implant, BROKER, 1883, 0.4, (210, back));
        t += 137 + jitter.next(13);
        k += 1;
    }
    for d in 0..days {
        for h in 8..18 {
            log.conn(
                T0 + d * DAY + h * 3600 + 300,
                implant,
                "93.184.216.34",
                443,
                120.0,
            );
        }
    }
    log.lookups(T0, implant, 24 * days);
    log.text()
}

#[test]
fn a_relay_whose_check_ins_are_tasked_is_told_from_an_agent_answered_with_acks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conn.log");
    std::fs::write(&path, site(1)).unwrap();
    let alerts = common::hunt_jsonl([
        "--threads",
        "2",
        "--min-suspicion",
        "low",
        path.to_str().unwrap(),
    ]);
    let of = |host: &str| {
        alerts
            .iter()
            .find(|a| a["host"] == host && a["dst_ip"] == BROKER)
            .unwrap_or_else(|| panic!("no alert for {host}: {alerts:?}"))
    };
    let implant = of("10.1.3.44");
    assert_eq!(implant["signals"]["tasked_check_ins"], 10.0, "{implant}");
    assert!(
        common::has_reason(implant, "were answered with 73 bytes or more"),
        "{implant}"
    );
    assert_eq!(implant["suspicion"], "medium", "{implant}");

    let agent = of("10.1.2.30");
    assert!(
        agent["signals"].get("tasked_check_ins").is_none(),
        "{agent}"
    );
    assert!(
        implant["score"].as_u64().unwrap() > agent["score"].as_u64().unwrap(),
        "{implant} {agent}"
    );
    for a in alerts
        .iter()
        .filter(|a| a["host"].as_str().unwrap().starts_with("10.1.5."))
    {
        assert!(a["signals"].get("tasked_check_ins").is_none(), "{a}");
    }
}

/// Over four days the implant makes about 2,500 check-ins, more than twice the connection spans a
/// group keeps (a sample of the earliest): that most ends are known is judged on the counts.
#[test]
fn a_relay_is_judged_past_the_spans_a_group_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conn.log");
    std::fs::write(&path, site(4)).unwrap();
    let alerts = common::hunt_jsonl([
        "--threads",
        "2",
        "--min-suspicion",
        "low",
        "--host",
        "10.1.3.44",
        path.to_str().unwrap(),
    ]);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let implant = &alerts[0];
    assert!(
        implant["connections"].as_u64().unwrap() > 2 * 1024,
        "{implant}"
    );
    assert_eq!(implant["signals"]["tasked_check_ins"], 10.0, "{implant}");
}
