use super::*;

fn ipv4(src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0];
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&[0; 20]);
    p
}

fn ipv6(src: [u8; 16], dst: [u8; 16]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0, 0, 20, 6, 64];
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&[0; 20]);
    p
}

fn raw(data: &[u8]) -> Frame<'_> {
    Frame {
        number: 1,
        ts: 0,
        // LINKTYPE_RAW: the frame is the IP packet.
        linktype: 101,
        data,
        orig_len: data.len() as u32,
    }
}

#[test]
fn both_directions_of_an_address_pair_share_a_shard() {
    for n in 0..500u32 {
        let a = [10, (n >> 16) as u8, (n >> 8) as u8, n as u8];
        let b = [192, 168, (n % 7) as u8, 1];
        assert_eq!(
            shard_of(&raw(&ipv4(a, b))),
            shard_of(&raw(&ipv4(b, a))),
            "{a:?} {b:?}"
        );
        let mut a6 = [0u8; 16];
        a6[0] = 0xfd;
        a6[12..].copy_from_slice(&n.to_be_bytes());
        let mut b6 = [0u8; 16];
        b6[0] = 0x20;
        b6[15] = (n % 5) as u8;
        assert_eq!(shard_of(&raw(&ipv6(a6, b6))), shard_of(&raw(&ipv6(b6, a6))));
    }
}

#[test]
fn address_pairs_spread_over_every_shard() {
    let mut count = [0usize; SHARDS];
    for n in 0..2000u32 {
        let a = [10, 0, (n >> 8) as u8, n as u8];
        count[shard_of(&raw(&ipv4(a, [192, 168, 0, 1])))] += 1;
    }
    for (s, &c) in count.iter().enumerate() {
        assert!(
            (2000 / SHARDS * 8 / 10..=2000 / SHARDS * 12 / 10).contains(&c),
            "shard {s}: {c} of 2000 ({count:?})"
        );
    }
}

#[test]
fn frames_without_a_readable_ip_header_go_to_shard_0() {
    assert_eq!(shard_of(&raw(&[0x45, 0, 0])), 0);
    assert_eq!(shard_of(&raw(&[])), 0);
    assert_eq!(shard_of(&raw(&[0x60, 0, 0, 0, 0, 0, 6, 64, 1, 2])), 0);
}

#[test]
fn every_total_bound_is_shared_and_per_flow_bounds_are_kept() {
    let total = FlowConfig::default();
    let share = shard_config(&total);
    assert_eq!(share.max_flows * SHARDS, total.max_flows);
    assert_eq!(
        share.max_out_of_order_total * SHARDS,
        total.max_out_of_order_total
    );
    assert_eq!(
        share.max_inspection_total * SHARDS,
        total.max_inspection_total
    );
    assert_eq!(
        share.defrag.max_datagrams * SHARDS,
        total.defrag.max_datagrams
    );
    assert_eq!(share.defrag.max_bytes * SHARDS, total.defrag.max_bytes);
    assert_eq!(share.tcp_idle, total.tcp_idle);
    assert_eq!(
        share.reassembly.max_out_of_order,
        total.reassembly.max_out_of_order
    );
}
