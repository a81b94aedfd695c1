//! Arbitrary frames of every supported link type through the flow table (decoding,
//! defragmentation, reassembly, inspection) with a small flow cap so eviction is exercised, and
//! small memory budgets whose totals must hold after every packet.
//! Input layout: repeated [linktype selector: 1][ts delta: 2][length: 2][frame bytes].
#![no_main]

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::capture::Frame;
use pubsub_hunt_packets::flow::{FlowConfig, FlowTable};

const LINKTYPES: [u32; 8] = [0, 1, 101, 108, 113, 228, 229, 276];

fuzz_target!(|data: &[u8]| {
    let config = FlowConfig {
        max_flows: 16,
        max_out_of_order_total: 16 << 10,
        max_inspection_total: 128 << 10,
        ..FlowConfig::default()
    };
    let mut table = FlowTable::new(config);
    let mut rest = data;
    let mut ts: i64 = 1_700_000_000_000_000;
    let mut number = 0u64;
    while let Some((head, tail)) = rest.split_first_chunk::<5>() {
        let linktype = LINKTYPES[usize::from(head[0]) % LINKTYPES.len()];
        ts += i64::from(u16::from_le_bytes([head[1], head[2]])) * 10_000;
        let len = usize::from(u16::from_le_bytes([head[3], head[4]])).min(tail.len());
        let (frame, after) = tail.split_at(len);
        number += 1;
        let f = Frame {
            number,
            ts,
            linktype,
            data: frame,
            orig_len: frame.len() as u32,
        };
        let _ = table.packet(&f, &mut |_| {});
        // The table-wide budgets hold as totals. A flow that meets the inspection budget
        // stops, keeping only its findings (bounded per flow), hence the allowance.
        assert!(table.held_bytes() <= config.max_out_of_order_total);
        assert!(table.inspection_bytes() <= config.max_inspection_total + (1 << 20));
        assert!(table.len() <= config.max_flows);
        rest = after;
    }
    table.finish(&mut |_| {});
    assert_eq!(table.held_bytes(), 0);
    assert_eq!(table.inspection_bytes(), 0);
});
