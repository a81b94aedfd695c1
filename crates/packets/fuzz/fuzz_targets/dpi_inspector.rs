//! Fuzzes the whole inspector, any protocol, on raw input: the input is split into client/server
//! chunks (and gaps) by its own bytes and fed to a `SessionInspector`, which must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::dpi::{SessionInspector, Side};

const PREFIX: &[u8] = b"";

fuzz_target!(|data: &[u8]| {
    let mut inspector = SessionInspector::new();
    inspector.feed(Side::Client, 0, 0, PREFIX);
    // Each chunk: one control byte (bit 7 side, bit 6 gap, low 6 bits length), then the bytes.
    let mut rest = data;
    let mut n = 1u64;
    while let Some((&control, tail)) = rest.split_first() {
        let side = if control & 0x80 != 0 {
            Side::Server
        } else {
            Side::Client
        };
        if control & 0x40 != 0 {
            inspector.gap(side);
        }
        let len = usize::from(control & 0x3f).max(1) * 8;
        let (chunk, after) = tail.split_at(len.min(tail.len()));
        inspector.feed(side, n as i64, n, chunk);
        n += 1;
        rest = after;
    }
    let _ = inspector.wants_more();
    let _ = inspector.finish();
});
