//! The day the host census is tested on, by every reader that takes one (a capture, a live
//! watch, a stream of conn.log records): a workstation and a device each hold a session to a
//! cloud broker on 8883 from 06:10 to 06:05 the next day (reconnecting twice, opened and closed
//! in working hours but for the last closing, as a person's sessions would be if they had not
//! joined into a day without a break); the device also looks up names; the workstation browses,
//! and so may colleagues. The timing and the other traffic are the point, not the protocol: the
//! connections are plain TCP, written as packets ([`crate::raw::Capture`]) or as log records by
//! each test.

/// Monday 2026-03-02 00:00 UTC.
pub const T0: u32 = 1_772_409_600;
const HOUR: u32 = 3600;
pub const BROKER: [u8; 4] = [52, 28, 0, 10];
pub const WORKSTATION: [u8; 4] = [10, 20, 0, 50];
pub const DEVICE: [u8; 4] = [10, 20, 0, 60];
const RESOLVER: [u8; 4] = [10, 20, 0, 2];
const WEB: [[u8; 4]; 2] = [[93, 184, 215, 14], [151, 101, 1, 69]];

/// The broker sessions of each host (seconds after [`T0`]).
const SESSIONS: [(u32, u32); 3] = [
    (6 * HOUR + 600, 13 * HOUR),
    (13 * HOUR + 60, 19 * HOUR + 3000),
    (19 * HOUR + 3060, 30 * HOUR + 300),
];

/// One TCP connection of the day, open from `from` to `to` (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conn {
    pub src: [u8; 4],
    pub sport: u16,
    pub dst: [u8; 4],
    pub dport: u16,
    pub from: u32,
    pub to: u32,
}

/// The day's connections, in no particular order. With `browsing`, the workstation reaches two
/// web services, and so do `colleagues` other workstations (10.20.0.100 on).
pub fn connections(browsing: bool, colleagues: u8) -> Vec<Conn> {
    let mut out = Vec::new();
    let mut add = |src, sport, dst, dport, from, to| {
        out.push(Conn {
            src,
            sport,
            dst,
            dport,
            from,
            to,
        })
    };
    for (host, base) in [(WORKSTATION, 50_000u16), (DEVICE, 51_000)] {
        for (k, (from, to)) in SESSIONS.into_iter().enumerate() {
            add(host, base + k as u16, BROKER, 8883, T0 + from, T0 + to);
        }
    }
    for k in 0..4u32 {
        let t = T0 + 2 * HOUR + k * 5 * HOUR;
        add(DEVICE, 52_000 + k as u16, RESOLVER, 53, t, t + 1);
    }
    if browsing {
        for (k, web) in WEB.into_iter().enumerate() {
            let t = T0 + (9 + 3 * k as u32) * HOUR;
            add(WORKSTATION, 53_000 + k as u16, web, 443, t, t + 300);
            for n in 0..colleagues {
                let host = [10, 20, 0, 100 + n];
                add(host, 54_000 + k as u16, web, 443, t + 60, t + 400);
            }
        }
    }
    out
}

/// The day as a classic pcap file.
pub fn capture(browsing: bool, colleagues: u8) -> Vec<u8> {
    let mut c = crate::raw::Capture::default();
    for k in connections(browsing, colleagues) {
        c.session(k.src, k.sport, k.dst, k.dport, k.from, k.to);
    }
    c.to_pcap()
}
