//! What deep inspection learned about a publish/subscribe session: the protocol recognised from
//! the bytes, its version, the identities it announced (client ids, user names, server names,
//! ALPN) and the topics it used. Packet dissectors fill an [`AppInfo`] per flow; the analytics
//! merge them per group and alerts carry the result as their `app` object (the field names are
//! part of the output interface).
//!
//! Every collection is bounded so that a hostile session (a million topics) costs a fixed amount
//! of memory: sets keep their smallest members, so what is kept does not depend on the order
//! flows are merged in; topics too (the smallest [`MAX_TOPICS`] by name), the uses of topics not
//! kept counted in `topics_dropped`. Within one session, read in order by one dissector, message
//! timings are a sketch past [`MAX_MESSAGES`]: the series is thinned to every other message, each
//! kept message standing for the ones it replaced (`weight`), and later messages are kept one in
//! `stride`. A week-long session therefore keeps timings spread over the whole week, at a
//! coarser step, instead of only its first days; counts and rates still add up to every message.
//! Sessions merged into a group keep the earliest [`MAX_MESSAGES`] timings of their union (in
//! [`MessageEvent::order`]), so the group's timings do not depend on the order its sessions
//! arrive in; the weight of those left out is counted in `messages_dropped`. Messages name their
//! topic by a fixed hash ([`TopicKey`]), not by position, so dropping a topic never points a
//! message at another.

use crate::payload::{payload_traits, shannon_entropy};
use crate::protocol::Protocol;
use crate::time::Micros;
use serde::Serialize;
use std::collections::BTreeSet;

/// Most members kept per identity set (client ids, user names, server names, ALPN values).
pub const MAX_IDENTITIES: usize = 16;
/// Most distinct topics kept per session or group.
pub const MAX_TOPICS: usize = 64;
/// Most message timings kept per session (for the behaviour analytics).
pub const MAX_MESSAGES: usize = 4096;
/// Longest identity or topic string kept, in bytes (longer ones are cut at a char boundary).
pub const MAX_NAME_BYTES: usize = 512;

/// Whether a topic was written to or listened on by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TopicDirection {
    /// The client published (MQTT PUBLISH from the client, STOMP SEND, AMQP basic.publish,
    /// XMPP message sent).
    Publish,
    /// The client subscribed or received (MQTT SUBSCRIBE, STOMP SUBSCRIBE/MESSAGE, AMQP
    /// basic.consume/deliver).
    Subscribe,
}

/// One topic (MQTT topic or filter, STOMP destination, AMQP exchange/queue/routing key, XMPP
/// JID) and how many messages used it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TopicUse {
    pub name: String,
    pub direction: TopicDirection,
    pub messages: u64,
    /// What its uses add to `topics_dropped` if it is dropped (one per use, or its messages).
    #[serde(skip)]
    pub uses_weight: u64,
    /// The key messages name it by.
    #[serde(skip)]
    pub key: TopicKey,
}

impl TopicUse {
    /// A topic used `messages` times (by a single use).
    pub fn new(name: &str, direction: TopicDirection, messages: u64) -> TopicUse {
        TopicUse {
            name: name.to_string(),
            direction,
            messages,
            uses_weight: messages.max(1),
            key: TopicKey::of(name, direction),
        }
    }
}

/// A topic's fixed hash of (name, direction): how a message names its topic, the same in every
/// session and run, so it stays right whichever topics a group keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct TopicKey(pub u64);

impl TopicKey {
    pub fn of(name: &str, direction: TopicDirection) -> TopicKey {
        use std::hash::{DefaultHasher, Hash, Hasher};
        // `DefaultHasher::new()` has fixed keys, unlike a map's random state.
        let mut h = DefaultHasher::new();
        name.hash(&mut h);
        direction.hash(&mut h);
        TopicKey(h.finish())
    }
}

/// One application message seen in a session, for timing and payload analytics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MessageEvent {
    pub ts: Micros,
    /// `Publish` when the client sent it, `Subscribe` when it was delivered to the client.
    pub direction: TopicDirection,
    /// The topic the message named ([`AppInfo::topic_of`] finds it when it was kept).
    pub topic: Option<TopicKey>,
    /// Payload size in bytes.
    pub size: u32,
    /// Shannon entropy of the payload in bits per byte (0–8), over the bytes seen.
    pub entropy: f32,
    /// How many messages this one stands for (1 until the series was thinned).
    pub weight: u32,
    /// What the payload looked like ([`crate::payload::payload_traits`] bits).
    pub traits: u8,
}

impl MessageEvent {
    /// A total order, earliest first, on what a message is (not on where it came from): the
    /// order in which a group keeps the smallest timings.
    pub fn order(&self, o: &MessageEvent) -> std::cmp::Ordering {
        (
            self.ts,
            self.direction,
            self.size,
            self.weight,
            self.traits,
            self.entropy.to_bits(),
            self.topic,
        )
            .cmp(&(
                o.ts,
                o.direction,
                o.size,
                o.weight,
                o.traits,
                o.entropy.to_bits(),
                o.topic,
            ))
    }
}

/// Publication times with the messages each stands for, and the first and last time.
pub type PublishedSeries = (Vec<(Micros, u32)>, Micros, Micros);

/// What the dissectors learned about one session (or, merged, about a group of sessions).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AppInfo {
    /// The protocol recognised from the bytes; `None` when only hints (SNI) were seen.
    #[serde(skip)]
    pub protocol: Option<Protocol>,
    /// `3.1.1`, `5`, `0-9-1`, `1.0`, `1.2`, …
    pub protocol_version: Option<String>,
    pub client_ids: BTreeSet<String>,
    /// Sessions whose client sent an empty client id for the broker to name (MQTT allows it
    /// with a clean session; mosquitto 2's clients and paho 2 do it by default).
    #[serde(skip_serializing_if = "is_zero", default)]
    pub unnamed_clients: u64,
    pub usernames: BTreeSet<String>,
    /// XMPP stream `to`/`from`, TLS SNI.
    pub server_names: BTreeSet<String>,
    pub alpn: BTreeSet<String>,
    /// The other users a one-to-one chat session wrote to or heard from (XMPP bare JIDs): not
    /// topics, but an operator's address says as much as a topic name.
    #[serde(skip_serializing_if = "BTreeSet::is_empty", default)]
    pub peers: BTreeSet<String>,
    pub topics: Vec<TopicUse>,
    /// The keepalive the client announced (MQTT CONNECT), in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keepalive_secs: Option<u32>,
    /// Keepalive pings seen (MQTT PINGREQ, XMPP whitespace/XEP-0199 pings).
    pub pings: u64,
    /// The session switched to TLS (STARTTLS) or started with a TLS ClientHello.
    pub tls: bool,
    /// The protocol ran inside WebSocket.
    pub websocket: bool,
    /// The capture file and packet number where the session was first seen.
    #[serde(serialize_with = "ser_first_packet")]
    pub first_packet: Option<crate::record::RecordRef>,
    /// Message timings (not serialized; input to the behaviour analytics).
    #[serde(skip)]
    pub messages: Vec<MessageEvent>,
    /// Messages counted in no kept timing (the tail of a thinned series, or a merge past the cap).
    #[serde(skip)]
    pub messages_dropped: u64,
    /// One in this many new messages is kept (1 until the series was first thinned).
    #[serde(skip)]
    pub message_stride: u32,
    /// Messages seen since the last one kept, while thinned.
    #[serde(skip)]
    pub message_pending: u32,
    /// Uses of topics not kept (past [`MAX_TOPICS`] or the group state budget).
    #[serde(skip_serializing_if = "is_zero")]
    pub topics_dropped: u64,
    /// Every topic use recorded ([`add_topic`](Self::add_topic) calls, summed over merged
    /// sessions): at least the distinct topics seen, and only grows (the state budget's count).
    #[serde(skip)]
    pub topic_uses: u64,
    /// Where the largest kept topic is once `topics` is full, so that a refused topic costs one
    /// comparison, not a pass over the kept ones.
    #[serde(skip)]
    pub largest_topic: LargestTopic,
}

/// A cache of the largest kept topic's position and key, checked against `topics` before use
/// (the key must still be there). It is not part of what an [`AppInfo`] is, so it never makes
/// two equal ones differ.
#[derive(Debug, Clone, Copy, Default)]
pub struct LargestTopic(Option<(usize, TopicKey)>);

impl PartialEq for LargestTopic {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The order topics are kept in: by name, then direction.
fn topic_order(a: &TopicUse, b: &TopicUse) -> std::cmp::Ordering {
    (&a.name, a.direction).cmp(&(&b.name, b.direction))
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn ser_first_packet<S: serde::Serializer>(
    v: &Option<crate::record::RecordRef>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    match v {
        None => s.serialize_none(),
        Some(r) => {
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry("file", &*r.file)?;
            m.serialize_entry("packet", &r.line)?;
            m.end()
        }
    }
}

/// Cuts a string to at most [`MAX_NAME_BYTES`] at a char boundary.
pub fn bounded_name(s: &str) -> &str {
    crate::bounded::capped(s, MAX_NAME_BYTES)
}

/// Inserts a name (cut to [`MAX_NAME_BYTES`]) into a set that keeps its `cap` smallest members.
fn insert_smallest(set: &mut BTreeSet<String>, value: &str, cap: usize) {
    crate::bounded::insert_smallest(set, bounded_name(value), cap);
}

impl AppInfo {
    pub fn add_client_id(&mut self, v: &str) {
        insert_smallest(&mut self.client_ids, v, MAX_IDENTITIES);
    }
    /// The client id a session's CONNECT gave: kept when it names the client, counted in
    /// [`Self::unnamed_clients`] when empty (left for the broker to name).
    pub fn add_connect_client_id(&mut self, v: &str) {
        if v.is_empty() {
            self.unnamed_clients = self.unnamed_clients.saturating_add(1);
        } else {
            self.add_client_id(v);
        }
    }
    pub fn add_username(&mut self, v: &str) {
        insert_smallest(&mut self.usernames, v, MAX_IDENTITIES);
    }
    pub fn add_peer(&mut self, v: &str) {
        insert_smallest(&mut self.peers, v, MAX_IDENTITIES);
    }
    pub fn add_server_name(&mut self, v: &str) {
        insert_smallest(&mut self.server_names, v, MAX_IDENTITIES);
    }
    pub fn add_alpn(&mut self, v: &str) {
        insert_smallest(&mut self.alpn, v, MAX_IDENTITIES);
    }

    /// Counts `messages` uses of a topic; returns the key messages name it by.
    pub fn add_topic(&mut self, name: &str, direction: TopicDirection, messages: u64) -> TopicKey {
        self.topic_uses = self.topic_uses.saturating_add(1);
        let name = bounded_name(name);
        let key = TopicKey::of(name, direction);
        self.count_topic(name, direction, key, messages, messages.max(1));
        key
    }

    /// The kept topic a message names.
    pub fn topic_of(&self, m: &MessageEvent) -> Option<&TopicUse> {
        let key = m.topic?;
        self.topics.iter().find(|t| t.key == key)
    }

    /// Counts uses of a topic into the kept ones, keeping the smallest [`MAX_TOPICS`] by (name,
    /// direction): what is kept does not depend on the order topics arrive in, and a topic
    /// that is kept was never dropped, so its counts are whole.
    fn count_topic(
        &mut self,
        name: &str,
        direction: TopicDirection,
        key: TopicKey,
        messages: u64,
        uses_weight: u64,
    ) {
        if let Some(t) = self
            .topics
            .iter_mut()
            .find(|t| t.key == key && t.direction == direction && t.name == name)
        {
            t.messages += messages;
            t.uses_weight = t.uses_weight.saturating_add(uses_weight);
            return;
        }
        let new = TopicUse {
            name: name.to_string(),
            direction,
            messages,
            uses_weight,
            key,
        };
        if self.topics.len() < MAX_TOPICS {
            self.topics.push(new);
            return;
        }
        let cached = self
            .largest_topic
            .0
            .filter(|(i, k)| self.topics.get(*i).is_some_and(|t| t.key == *k))
            .map(|(i, _)| i);
        let largest = cached.or_else(|| self.find_largest_topic());
        match largest {
            Some(i) if topic_order(&new, &self.topics[i]).is_lt() => {
                let gone = std::mem::replace(&mut self.topics[i], new);
                self.topics_dropped = self.topics_dropped.saturating_add(gone.uses_weight);
                self.find_largest_topic();
            }
            _ => self.topics_dropped = self.topics_dropped.saturating_add(uses_weight),
        }
    }

    /// Finds (and remembers) the largest kept topic.
    fn find_largest_topic(&mut self) -> Option<usize> {
        let i = self
            .topics
            .iter()
            .enumerate()
            .max_by(|a, b| topic_order(a.1, b.1))
            .map(|(i, _)| i);
        self.largest_topic = LargestTopic(i.map(|i| (i, self.topics[i].key)));
        i
    }

    /// Keeps the smallest `n` topics by (name, direction), counting the uses of the others.
    pub fn keep_smallest_topics(&mut self, n: usize) {
        if self.topics.len() > n {
            self.topics.sort_by(topic_order);
            self.largest_topic = LargestTopic(None);
            for gone in self.topics.drain(n..) {
                self.topics_dropped = self.topics_dropped.saturating_add(gone.uses_weight);
            }
        }
    }

    /// Keeps the earliest `n` message timings ([`MessageEvent::order`]), counting the weight of
    /// the others in `messages_dropped`.
    pub fn keep_earliest_messages(&mut self, n: usize) {
        if self.messages.len() > n {
            self.messages.sort_unstable_by(MessageEvent::order);
            for gone in self.messages.drain(n..) {
                self.messages_dropped += u64::from(gone.weight);
            }
        }
    }

    /// Bounds a merged (group's) timings to [`MAX_MESSAGES`]: merges hold up to twice that
    /// between calls, so the sort is paid once per [`MAX_MESSAGES`] merged timings.
    pub fn settle(&mut self) {
        self.keep_earliest_messages(MAX_MESSAGES);
    }

    /// Records one message: counts it on its topic and keeps its timing while there is room.
    pub fn add_message(
        &mut self,
        ts: Micros,
        direction: TopicDirection,
        topic: Option<&str>,
        payload: &[u8],
        size: u32,
    ) {
        let idx = topic.map(|t| self.add_topic(t, direction, 1));
        let stride = self.message_stride.max(1);
        if stride > 1 {
            self.message_pending += 1;
            if self.message_pending < stride {
                return;
            }
            self.message_pending = 0;
        }
        if self.messages.len() >= MAX_MESSAGES {
            self.thin_messages();
        }
        self.messages.push(MessageEvent {
            ts,
            direction,
            topic: idx,
            size,
            entropy: shannon_entropy(payload),
            weight: stride,
            traits: payload_traits(payload),
        });
    }

    /// The kept timings of what the client published, as (time, messages it stands for), with
    /// the first and last time; `None` when it published nothing.
    pub fn published_series(&self) -> Option<PublishedSeries> {
        let series: Vec<(Micros, u32)> = self
            .messages
            .iter()
            .filter(|m| m.direction == TopicDirection::Publish)
            .map(|m| (m.ts, m.weight))
            .collect();
        let first = series.iter().map(|m| m.0).min()?;
        let last = series.iter().map(|m| m.0).max()?;
        Some((series, first, last))
    }

    /// Every message the timings stand for, plus those counted in none.
    pub fn message_count(&self) -> u64 {
        self.messages
            .iter()
            .map(|m| u64::from(m.weight))
            .sum::<u64>()
            + self.messages_dropped
            + u64::from(self.message_pending)
    }

    /// Halves the kept timings: sorted by time, each even one absorbs the weight of the next, and
    /// from now on one new message in twice as many is kept.
    fn thin_messages(&mut self) {
        self.messages.sort_by_key(|m| m.ts);
        let mut kept = Vec::with_capacity(self.messages.len() / 2 + 1);
        let mut it = self.messages.iter();
        while let Some(a) = it.next() {
            let mut a = *a;
            if let Some(b) = it.next() {
                a.weight = a.weight.saturating_add(b.weight);
            }
            kept.push(a);
        }
        self.messages = kept;
        self.message_stride = self.message_stride.max(1).saturating_mul(2);
    }

    /// Folds another session's (or group's) information into this one. Sets and topic counts
    /// merge commutatively; message timings are concatenated, holding at most twice
    /// [`MAX_MESSAGES`] until [`settle`](Self::settle) keeps the earliest (the analytics sort
    /// them by time).
    pub fn merge(&mut self, o: &AppInfo) {
        if self.protocol.is_none() {
            self.protocol = o.protocol;
        }
        match (&self.protocol_version, &o.protocol_version) {
            (Some(a), Some(b)) if b < a => self.protocol_version = Some(b.clone()),
            (None, Some(b)) => self.protocol_version = Some(b.clone()),
            _ => {}
        }
        for v in &o.client_ids {
            self.add_client_id(v);
        }
        self.unnamed_clients = self.unnamed_clients.saturating_add(o.unnamed_clients);
        for v in &o.usernames {
            self.add_username(v);
        }
        for v in &o.server_names {
            self.add_server_name(v);
        }
        for v in &o.peers {
            self.add_peer(v);
        }
        for v in &o.alpn {
            self.add_alpn(v);
        }
        for t in &o.topics {
            self.count_topic(&t.name, t.direction, t.key, t.messages, t.uses_weight);
        }
        self.topic_uses = self.topic_uses.saturating_add(o.topic_uses);
        self.keepalive_secs = match (self.keepalive_secs, o.keepalive_secs) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.pings += o.pings;
        self.tls |= o.tls;
        self.websocket |= o.websocket;
        self.first_packet = match (self.first_packet.take(), &o.first_packet) {
            (Some(a), Some(b)) => Some(if *b < a { b.clone() } else { a }),
            (a, b) => a.or_else(|| b.clone()),
        };
        self.messages.extend_from_slice(&o.messages);
        if self.messages.len() > 2 * MAX_MESSAGES {
            self.settle();
        }
        // The coarsest step any merged session was thinned to, for the reasons.
        self.message_stride = self.message_stride.max(o.message_stride);
        self.messages_dropped += o.messages_dropped + u64::from(o.message_pending);
        self.topics_dropped = self.topics_dropped.saturating_add(o.topics_dropped);
    }

    /// Topics sorted for output (stable, whatever order sessions merged in).
    pub fn sort_for_output(&mut self) {
        // Message timings are not needed after rating.
        self.messages.clear();
        self.largest_topic = LargestTopic(None);
        self.topics.sort_by(|a, b| {
            b.messages
                .cmp(&a.messages)
                .then_with(|| a.name.cmp(&b.name))
                .then(a.direction.cmp(&b.direction))
        });
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
