//! Kafka: recognition of a client request at the front of the bytes (size that matches the
//! buffered bytes or is followed by another request, known api key, plausible version,
//! non-negative correlation id, printable client id or null); dissection of every request
//! header (client id) and, for Produce v0–v8 and Fetch v0–v11, of the topic names (Produce
//! record batches are messages). Responses are skipped by their size.

use super::dissect::{BUF_CAP, Dissect, Found, Side, Step};
use super::text::{Reader, clean_name, is_token};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol, TopicDirection};

const PRODUCE: i16 = 0;
const FETCH: i16 = 1;
/// Largest request believed plausible (Kafka's default socket.request.max.bytes is 100 MiB).
const MAX_REQUEST: u32 = 100 * 1024 * 1024;
/// Most topics read from one request.
const MAX_TOPICS: usize = 64;

/// A request header at the front: (size, api key, api version, client id).
fn request_header(buf: &[u8]) -> Option<(u32, i16, i16, Option<&[u8]>)> {
    let mut r = Reader::new(buf);
    let size = r.u32()?;
    let key = r.u16()? as i16;
    let version = r.u16()? as i16;
    let correlation = r.u32()? as i32;
    let id_len = r.u16()? as i16;
    if !(10..=MAX_REQUEST).contains(&size)
        || !(0..=74).contains(&key)
        || !(0..=17).contains(&version)
        || correlation < 0
    {
        return None;
    }
    let client_id = if id_len == -1 {
        None
    } else if id_len < 0 || i32::from(id_len) > size as i32 - 10 {
        return None;
    } else {
        let id = r.bytes(id_len as usize)?;
        if !id.is_empty() && !is_token(id) {
            return None;
        }
        Some(id)
    };
    Some((size, key, version, client_id))
}

/// A whole request at the front that ends the buffer or is followed by another request.
fn request_at(buf: &[u8]) -> bool {
    let Some((size, _, _, _)) = request_header(buf) else {
        return false;
    };
    let end = 4 + size as usize;
    match buf.get(end..) {
        Some([]) => true,
        Some(rest) => request_header(rest).is_some(),
        None => false,
    }
}

/// Recognises a Kafka request at the front of the client's bytes.
pub(crate) fn detect(side: Side, buf: &[u8]) -> Option<Found> {
    (side == Side::Client && request_at(buf)).then_some(Found {
        offset: 0,
        protocol: Some(Protocol::Kafka),
    })
}

fn string(r: &mut Reader<'_>) -> Option<String> {
    let n = r.u16()? as i16;
    if n < 0 {
        return Some(String::new());
    }
    clean_name(r.bytes(n as usize)?).map(str::to_string)
}

fn produce(version: i16, r: &mut Reader<'_>, ts: Micros, app: &mut AppInfo) -> Option<()> {
    if version > 8 {
        return None;
    }
    if version >= 3 {
        string(r)?;
    }
    r.skip(2 + 4)?;
    let topics = r.u32()? as usize;
    for _ in 0..topics.min(MAX_TOPICS) {
        let topic = string(r)?;
        let partitions = r.u32()? as usize;
        for _ in 0..partitions.min(MAX_TOPICS) {
            r.u32()?;
            let n = r.u32()? as i32;
            let size = u32::try_from(n.max(0)).unwrap_or(0);
            let records = r.bytes(size as usize).unwrap_or_else(|| r.rest());
            app.add_message(
                ts,
                TopicDirection::Publish,
                Some(&topic).filter(|t| !t.is_empty()).map(String::as_str),
                records,
                size,
            );
            if records.len() < size as usize {
                return None;
            }
        }
    }
    Some(())
}

fn fetch(version: i16, r: &mut Reader<'_>, app: &mut AppInfo) -> Option<()> {
    if version > 11 {
        return None;
    }
    r.skip(12)?;
    if version >= 3 {
        r.skip(4)?;
    }
    if version >= 4 {
        r.skip(1)?;
    }
    if version >= 7 {
        r.skip(8)?;
    }
    let topics = r.u32()? as usize;
    for _ in 0..topics.min(MAX_TOPICS) {
        let topic = string(r)?;
        if !topic.is_empty() {
            app.add_topic(&topic, TopicDirection::Subscribe, 0);
        }
        let partitions = r.u32()? as usize;
        let per = match version {
            0..=4 => 16,
            5..=8 => 24,
            _ => 28,
        };
        r.skip(partitions.checked_mul(per)?)?;
    }
    Some(())
}

/// Kafka dissector.
#[derive(Debug, Default)]
pub(crate) struct Kafka;

impl Dissect for Kafka {
    fn step(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let mut r = Reader::new(buf);
        let Some(size) = r.u32() else {
            return Step::Need;
        };
        if size > MAX_REQUEST {
            return Step::Lost;
        }
        let total = 4 + u64::from(size);
        let whole = total <= buf.len() as u64;
        if !whole && (total <= BUF_CAP as u64 || buf.len() < BUF_CAP) {
            return Step::Need;
        }
        if side == Side::Client {
            let Some((_, key, version, client_id)) = request_header(buf) else {
                return Step::Lost;
            };
            if let Some(id) = client_id.and_then(clean_name).filter(|s| !s.is_empty()) {
                app.add_client_id(id);
            }
            let mut body = Reader::new(
                buf.get(..total.min(buf.len() as u64) as usize)
                    .unwrap_or(&[]),
            );
            body.skip(14 + client_id.map_or(0, <[u8]>::len));
            let _ = match key {
                PRODUCE => produce(version, &mut body, ts, app),
                FETCH => fetch(version, &mut body, app),
                _ => None,
            };
        }
        if whole {
            Step::Used(total as usize)
        } else {
            Step::Skip(total)
        }
    }

    fn resync(&self, side: Side, buf: &[u8]) -> Option<usize> {
        match side {
            Side::Client => {
                (0..buf.len().min(4096)).find(|&at| request_at(buf.get(at..).unwrap_or(&[])))
            }
            // Responses have no signature: wait for a gap-free start.
            Side::Server => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpi::Side::*;
    use crate::dpi::testutil::run;

    #[test]
    fn api_versions_from_librdkafka() {
        let req =
            b"\x00\x00\x00\x15\x00\x12\x00\x00\x00\x00\x00\x81\x00\x07rdkafka\x00\x00\x00\x00";
        let app = run(&[
            (Client, &req[..]),
            (Server, b"\x00\x00\x00\x06\x00\x00\x00\x81\x00\x00"),
        ]);
        assert_eq!(app.protocol, Some(Protocol::Kafka));
        assert!(app.client_ids.contains("rdkafka"));
    }

    #[test]
    fn produce_v2_topic() {
        let mut body = Vec::new();
        body.extend_from_slice(&[0, 0, 0, 2]); // api key 0, version 2
        body.extend_from_slice(&7u32.to_be_bytes());
        body.extend_from_slice(b"\x00\x03bot");
        body.extend_from_slice(&[0, 1, 0, 0, 0x75, 0x30]); // acks, timeout
        body.extend_from_slice(&1u32.to_be_bytes());
        body.extend_from_slice(b"\x00\x05exfil");
        body.extend_from_slice(&1u32.to_be_bytes());
        body.extend_from_slice(&0u32.to_be_bytes());
        body.extend_from_slice(&4u32.to_be_bytes());
        body.extend_from_slice(b"data");
        let mut req = (body.len() as u32).to_be_bytes().to_vec();
        req.extend(body);
        let app = run(&[(Client, &req)]);
        assert_eq!(app.protocol, Some(Protocol::Kafka));
        assert_eq!(app.topics[0].name, "exfil");
        assert_eq!(app.messages[0].size, 4);
    }
}
