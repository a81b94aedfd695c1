//! The driver every protocol target shares: a known opening (so the fuzzer starts inside the
//! protocol it targets), then the input split into client/server chunks (and gaps) by its own
//! bytes and fed to a `SessionInspector`, which must never panic.

use pubsub_hunt_packets::dpi::{SessionInspector, Side};

/// Feeds `opening` from `opener`, then `data` as chunks: each chunk is one control byte (bit 7
/// side, bit 6 gap before it, low 6 bits length in units of 8 bytes), then the bytes.
// `dpi_mqtt_port` builds its own inspector and calls only `drive_with`.
#[allow(dead_code)]
pub fn drive(opener: Side, opening: &[u8], data: &[u8]) {
    drive_with(SessionInspector::new(), opener, opening, data);
}

/// [`drive`] with a given inspector (one that knows its server port).
pub fn drive_with(mut inspector: SessionInspector, opener: Side, opening: &[u8], data: &[u8]) {
    if !opening.is_empty() {
        inspector.feed(opener, 0, 0, opening);
    }
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
}
