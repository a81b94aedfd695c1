//! Arbitrary segments (sequence number, captured bytes, wire length) into one direction's
//! reassembler with small bounds: no panic, and the bounds hold (bytes and entries alike).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::tcp::{HELD_ENTRY_COST, ReassemblyLimits, StreamReassembler};

fuzz_target!(|data: &[u8]| {
    let limits = ReassemblyLimits {
        max_bytes: 4096,
        max_out_of_order: 1024,
    };
    let mut r = StreamReassembler::new(limits);
    let mut released = 0u64;
    let mut rest = data;
    if let Some((syn, tail)) = rest.split_first_chunk::<5>() {
        if syn[0] & 1 == 1 {
            r.syn(u32::from_le_bytes([syn[1], syn[2], syn[3], syn[4]]));
        }
        rest = tail;
    }
    while let Some((head, tail)) = rest.split_first_chunk::<7>() {
        let seq = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let len = usize::from(head[4]).min(tail.len());
        let wire = len + usize::from(u16::from_le_bytes([head[5], head[6]]) % 64);
        let (payload, after) = tail.split_at(len);
        r.segment(seq, payload, wire, &mut |rel| {
            if let pubsub_hunt_packets::tcp::Released::Data(d) = rel {
                released += d.len() as u64;
            }
        });
        assert!(r.held_bytes() <= limits.max_out_of_order);
        // Every held entry is charged, empty ones (snap-length cuts) included.
        assert!(r.held_entries() * HELD_ENTRY_COST <= r.held_bytes());
        rest = after;
    }
    assert!(released <= limits.max_bytes);
});
