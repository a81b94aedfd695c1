//! MQTT 3.1, 3.1.1 and 5.0: recognition (in [`frame`]: a strict CONNECT anywhere, or
//! mid-stream a chain of well-formed control packets, shorter on a standard MQTT port) and
//! dissection of CONNECT (version, client id, user name, keepalive, will topic), PUBLISH
//! (topic, payload size and entropy), SUBSCRIBE/UNSUBSCRIBE filters and PINGREQ, with MQTT 5
//! properties skipped by their length.

mod frame;

use super::dissect::{BUF_CAP, Dissect, Side, Step};
use super::text::{Reader, clean_name};
use frame::{
    AUTH, CONNECT, Evidence, Header, PINGREQ, PUBLISH, SUBSCRIBE, UNSUBSCRIBE, connect_signature,
    header, scan_chain, varint,
};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, TopicDirection};

pub(crate) use frame::{Held, detect, detect_on_port};

/// MQTT dissector state.
#[derive(Debug, Default)]
pub(crate) struct Mqtt {
    /// Protocol level from CONNECT (3, 4, 5); unknown mid-stream.
    level: Option<u8>,
}

impl Mqtt {
    fn v5(&self) -> bool {
        self.level == Some(5)
    }

    fn connect(&mut self, body: &[u8], app: &mut AppInfo) -> Option<()> {
        let (version, level) = connect_signature(body)?;
        self.level = Some(level);
        app.protocol_version = Some(version.to_string());
        let mut r = Reader::new(body);
        r.str16()?;
        r.u8()?;
        let flags = r.u8()?;
        let keepalive = r.u16()?;
        app.keepalive_secs = Some(u32::from(keepalive));
        if level == 5 {
            let props = varint(&mut r)?;
            r.skip(props as usize)?;
        }
        if let Some(id) = clean_name(r.str16()?) {
            app.add_connect_client_id(id);
        }
        if flags & 0x04 != 0 {
            if level == 5 {
                let props = varint(&mut r)?;
                r.skip(props as usize)?;
            }
            let will_topic = r.str16()?;
            if let Some(t) = clean_name(will_topic).filter(|s| !s.is_empty()) {
                app.add_topic(t, TopicDirection::Publish, 0);
            }
            r.str16()?;
        }
        if flags & 0x80 != 0
            && let Some(user) = clean_name(r.str16()?).filter(|s| !s.is_empty())
        {
            app.add_username(user);
        }
        Some(())
    }

    /// `body` may be a prefix of the packet (large messages); `remaining` is the full length.
    fn publish(
        &self,
        h: &Header,
        body: &[u8],
        side: Side,
        ts: Micros,
        app: &mut AppInfo,
    ) -> Option<()> {
        let mut r = Reader::new(body);
        let topic = r.str16()?;
        if h.qos() > 0 {
            r.u16()?;
        }
        if self.v5() {
            let props = varint(&mut r)?;
            r.skip(props as usize)?;
        }
        let payload_size = h.remaining.saturating_sub(r.pos as u32);
        let topic = clean_name(topic).filter(|t| !t.is_empty());
        app.add_message(ts, side.message_direction(), topic, r.rest(), payload_size);
        Some(())
    }

    /// SUBSCRIBE and UNSUBSCRIBE filters (UNSUBSCRIBE has no options byte after each): both
    /// name the command trees a client listens on, so both are recorded as subscriptions.
    fn subscribe(&self, body: &[u8], app: &mut AppInfo, with_options: bool) -> Option<()> {
        let mut r = Reader::new(body);
        r.u16()?;
        if self.v5() {
            let props = varint(&mut r)?;
            r.skip(props as usize)?;
        }
        while r.remaining() > 0 {
            let filter = r.str16()?;
            if with_options {
                r.u8()?;
            }
            if let Some(f) = clean_name(filter).filter(|f| !f.is_empty()) {
                app.add_topic(f, TopicDirection::Subscribe, 0);
            }
        }
        Some(())
    }
}

impl Dissect for Mqtt {
    fn step(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let h = match header(buf) {
            Ok(Some(h)) => h,
            Ok(None) => return Step::Need,
            Err(()) => return Step::Lost,
        };
        if h.kind == AUTH && self.level.is_some_and(|l| l < 5) {
            return Step::Lost;
        }
        let total = h.total();
        let whole = total <= buf.len() as u64;
        if !whole {
            // Only PUBLISH (and, absurdly, CONNECT) can be larger than the buffer.
            if total <= BUF_CAP as u64 || buf.len() < BUF_CAP {
                return Step::Need;
            }
            if h.kind != PUBLISH {
                return Step::Lost;
            }
        }
        let body = buf
            .get(h.header_len..total.min(buf.len() as u64) as usize)
            .unwrap_or(&[]);
        match h.kind {
            CONNECT if self.connect(body, app).is_none() => return Step::Lost,
            PUBLISH if self.publish(&h, body, side, ts, app).is_none() => return Step::Lost,
            SUBSCRIBE | UNSUBSCRIBE => {
                // A filter list that does not parse is still a SUBSCRIBE: keep what was read.
                let _ = self.subscribe(body, app, h.kind == SUBSCRIBE);
            }
            PINGREQ => app.pings += 1,
            _ => {}
        }
        if whole {
            Step::Used(total as usize)
        } else {
            Step::Skip(total)
        }
    }

    fn resync(&self, _side: Side, buf: &[u8]) -> Option<usize> {
        scan_chain(buf, Evidence::Known)
    }
}

#[cfg(test)]
mod tests;
