//! OpenWire (ActiveMQ): recognition by the WireFormatInfo both sides send first
//! (`u32 size`, `01`, `"ActiveMQ"`, `u32 version`), anywhere in the bytes; the version becomes
//! the protocol version. Later commands are walked by their size prefix only.

use super::dissect::{BUF_CAP, Dissect, Found, Side, Step};
use super::text::Reader;
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol};

const MAGIC: &[u8] = b"\x01ActiveMQ";
/// Largest command believed plausible when resynchronising.
const MAX_COMMAND: u32 = 64 * 1024 * 1024;

/// The WireFormatInfo at the front: its version.
fn wire_format_info(buf: &[u8]) -> Option<u32> {
    let mut r = Reader::new(buf);
    let size = r.u32()?;
    if !(13..MAX_COMMAND).contains(&size) || r.bytes(MAGIC.len())? != MAGIC {
        return None;
    }
    r.u32()
}

/// Scans for a WireFormatInfo.
pub(crate) fn detect(_side: Side, buf: &[u8]) -> Option<Found> {
    memchr::memmem::find_iter(buf, MAGIC)
        .filter_map(|i| i.checked_sub(4))
        .find(|&at| wire_format_info(buf.get(at..).unwrap_or(&[])).is_some())
        .map(|offset| Found {
            offset,
            protocol: Some(Protocol::OpenWire),
        })
}

/// OpenWire dissector.
#[derive(Debug, Default)]
pub(crate) struct OpenWire;

impl Dissect for OpenWire {
    fn step(&mut self, side: Side, _ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let mut r = Reader::new(buf);
        let Some(size) = r.u32() else {
            return Step::Need;
        };
        if size == 0 || size > MAX_COMMAND {
            return Step::Lost;
        }
        if let Some(version) = wire_format_info(buf)
            && (side == Side::Client || app.protocol_version.is_none())
        {
            app.protocol_version = Some(version.to_string());
        }
        let total = 4 + u64::from(size);
        if total <= buf.len() as u64 {
            Step::Used(total as usize)
        } else if buf.len() >= BUF_CAP || total > BUF_CAP as u64 {
            Step::Skip(total)
        } else {
            Step::Need
        }
    }

    fn resync(&self, side: Side, buf: &[u8]) -> Option<usize> {
        detect(side, buf).map(|f| f.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpi::Side::*;
    use crate::dpi::testutil::run;

    #[test]
    fn wire_format_info_both_sides() {
        let mut client =
            b"\x00\x00\x00\x12\x01ActiveMQ\x00\x00\x00\x0a\x00\x00\x00\x00\x00".to_vec();
        client.extend_from_slice(b"\x00\x00\x00\x02\x1f\x00");
        let server = b"\x00\x00\x00\x0e\x01ActiveMQ\x00\x00\x00\x0c\x00";
        let app = run(&[(Client, &client), (Server, server)]);
        assert_eq!(app.protocol, Some(Protocol::OpenWire));
        assert_eq!(app.protocol_version.as_deref(), Some("10"));
    }
}
