//! Suricata rules: one rule per observable, on the buffer where the observable lives. MQTT
//! fields go to Suricata's MQTT parser buffers (`mqtt.publish.topic`, `mqtt.subscribe.topic`,
//! `mqtt.connect.clientid`, `mqtt.connect.username`), TLS server names to `tls.sni`, names a log
//! source resolved to `dns.query`, a WebSocket upgrade to `http.header`; for XMPP, STOMP, AMQP and
//! NATS, which Suricata does not parse, the match is anchored to the protocol's own framing (the
//! stanza and its `to`, the frame command and its `destination` header, the AMQP method and its
//! length-prefixed name). The destination address and port become a rule only when the alert
//! has nothing better. Every rule carries the alert id and the ATT&CK technique in `metadata`.

use crate::alert::{AlertView, Direction};
use crate::escape::{content, pcre, word};
use crate::observable::{NameSource, Observable};
use crate::plan::Plan;
use crate::{ControlWriter, Written};
use pubsub_hunt_core::Protocol;
use std::io::{self, Write};

/// Where the rule's sid numbering starts and what class its alerts get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuricataOptions {
    /// The first rule's `sid`; the rest follow in order.
    pub sid_base: u32,
    /// The `classtype` (must exist in the sensor's `classification.config`).
    pub classtype: String,
}

impl Default for SuricataOptions {
    fn default() -> SuricataOptions {
        // The local range suricata-check recommends for a site's own rules.
        SuricataOptions {
            sid_base: 1_000_000,
            classtype: "trojan-activity".to_string(),
        }
    }
}

/// Which way the matched bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    ToServer,
    ToClient,
    /// Datagram protocols (DNS): no TCP state to require.
    None,
}

/// A rule before numbering: header, detection options and what it matches (for `msg`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBody {
    proto: &'static str,
    /// The server side of the header: `any any` or the destination's address and port.
    server: String,
    flow: Flow,
    detection: Vec<String>,
    what: String,
}

impl RuleBody {
    /// Whether the rule matches protocol bytes (a buffer or framed content), not only an address.
    pub fn matches_content(&self) -> bool {
        !self.detection.is_empty()
    }
}

fn any(proto: &'static str, flow: Flow, what: impl Into<String>, det: Vec<String>) -> RuleBody {
    RuleBody {
        proto,
        server: "any any".to_string(),
        flow,
        detection: det,
        what: what.into(),
    }
}

/// `content:"…"` of raw bytes.
fn c(bytes: &[u8]) -> String {
    format!("content:\"{}\"", content(bytes))
}

/// An exact match on a sticky buffer.
fn exact(buffer: &str, value: &str, nocase: bool) -> Vec<String> {
    let mut v = vec![buffer.to_string(), c(value.as_bytes())];
    if nocase {
        v.push("nocase".into());
    }
    v.extend(["startswith".into(), "endswith".into()]);
    v
}

/// A PCRE over raw stream bytes, with `pattern` already escaped, behind a content prefilter.
fn framed(prefilter: &str, pattern: String, flags: &str) -> Vec<String> {
    let mut v = vec![c(prefilter.as_bytes())];
    if flags.contains('i') {
        v.push("nocase".into());
    }
    v.push("fast_pattern".into());
    v.push(format!("pcre:\"/{pattern}/{flags}\""));
    v
}

/// A name preceded by its length byte (AMQP shortstr), or `None` past 255 bytes.
fn shortstr(name: &str) -> Option<Vec<u8>> {
    let len = u8::try_from(name.len()).ok()?;
    let mut v = vec![len];
    v.extend_from_slice(name.as_bytes());
    Some(v)
}

/// The rules for one observable of an alert (none when Suricata cannot see it).
pub fn rules_for(a: &AlertView, o: &Observable) -> Vec<RuleBody> {
    let p = a.protocol;
    let websocket = a.app.as_ref().is_some_and(|app| app.websocket);
    let amqp10 = a
        .app
        .as_ref()
        .and_then(|app| app.protocol_version.as_deref())
        .is_some_and(|v| v.starts_with('1'));
    match o {
        // Only as a last resort: see `write_rules`.
        Observable::Address { .. } => vec![],
        Observable::Domain { name, source } => match source {
            NameSource::Dns => vec![any(
                "dns",
                Flow::None,
                "DNS query",
                exact("dns.query", name, true),
            )],
            NameSource::TlsSni => vec![any(
                "tls",
                Flow::ToServer,
                "TLS server name",
                exact("tls.sni", name, true),
            )],
            NameSource::XmppStream => vec![any(
                "tcp",
                Flow::ToServer,
                "XMPP stream to",
                framed(
                    name,
                    format!(
                        "<stream:stream\\b[^>]*\\bto=(['\\x22]){}\\1",
                        pcre(name.as_bytes())
                    ),
                    "i",
                ),
            )],
        },
        Observable::WebSocket { ip, port } => {
            let sub = p.as_str().to_ascii_lowercase();
            vec![RuleBody {
                proto: "http",
                server: format!("{ip} {port}"),
                flow: Flow::ToServer,
                detection: vec![
                    "http.header".into(),
                    c(b"Sec-WebSocket-Protocol: "),
                    "nocase".into(),
                    c(sub.as_bytes()),
                    "nocase".into(),
                    "distance:0".into(),
                    "within:64".into(),
                ],
                what: format!("WebSocket upgrade to {p}"),
            }]
        }
        // Inside WebSocket the client's frames are masked: no buffer or byte pattern can see
        // the topics, so they go to the STIX bundle only.
        _ if websocket => vec![],
        Observable::Topic {
            name, direction, ..
        } => topic_rules(p, name, *direction, amqp10),
        Observable::ClientId { value, .. } => client_id_rules(p, value, amqp10),
        Observable::Username { value, .. } => username_rules(p, value),
        Observable::Peer { value } => vec![any(
            "tcp",
            Flow::ToServer,
            "XMPP message to",
            framed(
                value,
                format!(
                    "<message\\b[^>]*\\bto=(['\\x22]){}(?:\\x2f[^'\\x22]*)?\\1",
                    pcre(value.as_bytes())
                ),
                "",
            ),
        )],
    }
}

fn topic_rules(p: Protocol, name: &str, dir: Direction, amqp10: bool) -> Vec<RuleBody> {
    let (pub_or_sub, stomp_cmd) = match dir {
        Direction::Publish => ("publish", "SEND"),
        Direction::Subscribe => ("subscribe", "SUBSCRIBE"),
    };
    match p {
        Protocol::Mqtt => vec![any(
            "mqtt",
            Flow::ToServer,
            format!("MQTT {pub_or_sub} topic"),
            exact(&format!("mqtt.{pub_or_sub}.topic"), name, false),
        )],
        Protocol::Stomp => vec![any(
            "tcp",
            Flow::ToServer,
            format!("STOMP {stomp_cmd} destination"),
            framed(
                &format!("destination:{name}"),
                format!(
                    "(?:^|[\\n\\x00]){stomp_cmd}\\r?\\n(?:[^\\n\\x00]*\\n){{0,32}}?destination\\x3a{}\\r?\\n",
                    pcre(name.as_bytes())
                ),
                "",
            ),
        )],
        Protocol::Xmpp if name.contains('@') => vec![any(
            "tcp",
            Flow::ToServer,
            "XMPP stanza to room",
            framed(
                name,
                format!(
                    "<(?:message|presence)\\b[^>]*\\bto=(['\\x22]){}(?:\\x2f[^'\\x22]*)?\\1",
                    pcre(name.as_bytes())
                ),
                "",
            ),
        )],
        Protocol::Xmpp => vec![any(
            "tcp",
            Flow::ToServer,
            "XMPP pubsub node",
            framed(
                name,
                format!(
                    "<(?:publish|subscribe|items)\\b[^>]*\\bnode=(['\\x22]){}\\1",
                    pcre(name.as_bytes())
                ),
                "",
            ),
        )],
        Protocol::Amqp => amqp_topic(name, dir, amqp10).into_iter().collect(),
        Protocol::Nats => {
            let verb = match dir {
                Direction::Publish => "PUB",
                Direction::Subscribe => "SUB",
            };
            vec![any(
                "tcp",
                Flow::ToServer,
                format!("NATS {verb} subject"),
                framed(
                    &format!("{verb} {name}"),
                    format!("(?:^|\\n){verb} {}[ \\r\\n]", pcre(name.as_bytes())),
                    "",
                ),
            )]
        }
        Protocol::Kafka | Protocol::OpenWire | Protocol::Unidentified => vec![],
    }
}

/// AMQP: 1.0 names a link's address in an attach performative (descriptor 0x12) as a str8;
/// 0-9-1 names a publish's exchange and routing key (basic.publish, class 60 method 40) and a
/// consumer's queue (basic.consume, 60/20) as shortstrs after a reserved short. A delivered
/// message's `exchange/routing key` (basic.deliver, 60/60) travels to the client.
fn amqp_topic(name: &str, dir: Direction, amqp10: bool) -> Option<RuleBody> {
    if amqp10 {
        let mut addr = vec![0xa1];
        addr.extend(shortstr(name)?);
        return Some(any(
            "tcp",
            Flow::ToServer,
            "AMQP 1.0 attach address",
            vec![
                c(&[0x00, 0x53, 0x12]),
                c(&addr),
                "distance:0".into(),
                "fast_pattern".into(),
            ],
        ));
    }
    let split = |n: &str| -> Option<Vec<u8>> {
        let (exchange, key) = n.split_once('/').unwrap_or(("", n));
        let mut v = shortstr(exchange)?;
        v.extend(shortstr(key)?);
        Some(v)
    };
    let (method, flow, what, args): (&[u8], Flow, &str, Vec<u8>) = match dir {
        Direction::Publish => {
            let mut args = vec![0, 0];
            args.extend(split(name)?);
            (
                &[0, 0x3c, 0, 0x28],
                Flow::ToServer,
                "AMQP basic.publish",
                args,
            )
        }
        Direction::Subscribe if !name.contains('/') => {
            let mut args = vec![0, 0];
            args.extend(shortstr(name)?);
            (
                &[0, 0x3c, 0, 0x14],
                Flow::ToServer,
                "AMQP basic.consume",
                args,
            )
        }
        Direction::Subscribe => (
            &[0, 0x3c, 0, 0x3c],
            Flow::ToClient,
            "AMQP basic.deliver",
            split(name)?,
        ),
    };
    let mut det = vec![c(method)];
    if flow == Flow::ToServer {
        // The arguments follow the method id directly.
        let mut whole = method.to_vec();
        whole.extend(args);
        det = vec![c(&whole), "fast_pattern".into()];
    } else {
        // Consumer tag, delivery tag and redelivered flag come first.
        det.extend([c(&args), "distance:0".into(), "fast_pattern".into()]);
    }
    Some(any("tcp", flow, what, det))
}

fn client_id_rules(p: Protocol, value: &str, amqp10: bool) -> Vec<RuleBody> {
    match p {
        Protocol::Mqtt => vec![any(
            "mqtt",
            Flow::ToServer,
            "MQTT client id",
            exact("mqtt.connect.clientid", value, false),
        )],
        Protocol::Stomp => vec![stomp_header("client-id", value)],
        // The bound JID the server hands the client at resource binding.
        Protocol::Xmpp => vec![any(
            "tcp",
            Flow::ToClient,
            "XMPP bound JID",
            vec![
                c(format!("<jid>{value}</jid>").as_bytes()),
                "fast_pattern".into(),
            ],
        )],
        Protocol::Amqp if amqp10 => match shortstr(value) {
            Some(s) => {
                let mut id = vec![0xa1];
                id.extend(s);
                vec![any(
                    "tcp",
                    Flow::ToServer,
                    "AMQP 1.0 container id",
                    vec![
                        c(&[0x00, 0x53, 0x10]),
                        c(&id),
                        "distance:0".into(),
                        "fast_pattern".into(),
                    ],
                )]
            }
            None => vec![],
        },
        // connection.start-ok's client-properties: `connection_name`, a long string.
        Protocol::Amqp => match u32::try_from(value.len()) {
            Ok(n) => {
                let mut v = b"\x0fconnection_nameS".to_vec();
                v.extend(n.to_be_bytes());
                v.extend(value.as_bytes());
                vec![any(
                    "tcp",
                    Flow::ToServer,
                    "AMQP connection name",
                    vec![c(&v), "fast_pattern".into()],
                )]
            }
            Err(_) => vec![],
        },
        Protocol::Nats => vec![any(
            "tcp",
            Flow::ToServer,
            "NATS CONNECT name",
            vec![
                c(b"CONNECT "),
                c(format!("\"name\":\"{value}\"").as_bytes()),
                "distance:0".into(),
                "fast_pattern".into(),
            ],
        )],
        Protocol::Kafka | Protocol::OpenWire | Protocol::Unidentified => vec![],
    }
}

fn username_rules(p: Protocol, value: &str) -> Vec<RuleBody> {
    match p {
        Protocol::Mqtt => vec![any(
            "mqtt",
            Flow::ToServer,
            "MQTT user name",
            exact("mqtt.connect.username", value, false),
        )],
        Protocol::Stomp => vec![stomp_header("login", value)],
        Protocol::Xmpp => vec![any(
            "tcp",
            Flow::ToServer,
            "XMPP stream from",
            framed(
                value,
                format!(
                    "<stream:stream\\b[^>]*\\bfrom=(['\\x22]){}(?:\\x2f[^'\\x22]*)?\\1",
                    pcre(value.as_bytes())
                ),
                "",
            ),
        )],
        // SASL PLAIN: authzid NUL authcid NUL password.
        Protocol::Amqp => vec![any(
            "tcp",
            Flow::ToServer,
            "AMQP SASL PLAIN user",
            vec![
                c(b"PLAIN"),
                c(format!("\0{value}\0").as_bytes()),
                "distance:0".into(),
                "fast_pattern".into(),
            ],
        )],
        Protocol::Nats | Protocol::Kafka | Protocol::OpenWire | Protocol::Unidentified => {
            vec![]
        }
    }
}

/// A header of a STOMP CONNECT (or STOMP) frame.
fn stomp_header(header: &str, value: &str) -> RuleBody {
    any(
        "tcp",
        Flow::ToServer,
        format!("STOMP CONNECT {header}"),
        framed(
            &format!("{header}:{value}"),
            format!(
                "(?:^|[\\n\\x00])(?:CONNECT|STOMP)\\r?\\n(?:[^\\n\\x00]*\\n){{0,32}}?{}\\x3a{}\\r?\\n",
                pcre(header.as_bytes()),
                pcre(value.as_bytes())
            ),
            "",
        ),
    )
}

/// Every rule of the plan, alert by alert, with the alert each belongs to.
pub fn plan_rules(plan: &Plan) -> Vec<(usize, RuleBody)> {
    let mut out = Vec::new();
    for (i, a) in plan.alerts.iter().enumerate() {
        let mut mine: Vec<RuleBody> = Vec::new();
        for o in plan.of_alert(i) {
            for r in rules_for(a, o) {
                if !mine.contains(&r) {
                    mine.push(r);
                }
            }
        }
        if mine.is_empty()
            && let Some(Observable::Address { ip, port }) = plan
                .of_alert(i)
                .find(|o| matches!(o, Observable::Address { .. }))
        {
            mine.push(RuleBody {
                proto: "tcp",
                server: format!("{ip} {port}"),
                flow: Flow::ToServer,
                detection: vec![],
                what: "destination address and port".into(),
            });
        }
        out.extend(mine.into_iter().map(|r| (i, r)));
    }
    out
}

/// Renders one rule.
pub fn render(a: &AlertView, r: &RuleBody, sid: u32, opts: &SuricataOptions) -> String {
    let (header, target) = match r.flow {
        Flow::ToClient => (format!("{} -> $HOME_NET any", r.server), "src_ip"),
        Flow::ToServer | Flow::None => (format!("$HOME_NET any -> {}", r.server), "dest_ip"),
    };
    // `what` names the protocol itself when the match is protocol framing.
    let what = if r.what.starts_with(a.protocol.as_str()) {
        r.what.clone()
    } else {
        format!("{} {}", a.protocol, r.what)
    };
    let mut opts_text = vec![format!(
        "msg:\"PUBSUB-HUNT T1071.005 {} of alert {} from {}\"",
        what,
        word(&a.id, 16),
        word(&a.host, 64)
    )];
    match r.flow {
        Flow::ToServer => opts_text.push("flow:established,to_server".into()),
        Flow::ToClient => opts_text.push("flow:established,to_client".into()),
        Flow::None => {}
    }
    opts_text.extend(r.detection.iter().cloned());
    opts_text.push("reference:url,attack.mitre.org/techniques/T1071/005/".into());
    opts_text.push(format!("classtype:{}", opts.classtype));
    opts_text.push(format!("target:{target}"));
    opts_text.push(format!("sid:{sid}"));
    opts_text.push("rev:1".into());
    let mut meta = vec![
        format!("pubsub_hunt_alert_id {}", word(&a.id, 16)),
        "mitre_tactic_id TA0011".to_string(),
        "mitre_tactic_name Command_And_Control".to_string(),
        "mitre_technique_id T1071.005".to_string(),
        "mitre_technique_name Publish_Subscribe_Protocols".to_string(),
        "attack_target Client_Endpoint".to_string(),
        "deployment Perimeter".to_string(),
        "signature_severity Major".to_string(),
        format!(
            "performance_impact {}",
            if r.detection.iter().any(|d| d.starts_with("pcre")) {
                "Moderate"
            } else {
                "Low"
            }
        ),
    ];
    if let Some(day) = a.first_seen.as_deref().and_then(|t| t.get(..10)) {
        meta.push(format!("created_at {}", word(day, 10).replace('-', "_")));
    }
    opts_text.push(format!("metadata:{}", meta.join(", ")));
    format!("alert {} {header} ({};)", r.proto, opts_text.join("; "))
}

/// `pubsub-hunt.rules`.
pub struct SuricataWriter {
    pub options: SuricataOptions,
}

impl ControlWriter for SuricataWriter {
    fn file_name(&self) -> &'static str {
        "pubsub-hunt.rules"
    }
    fn write(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<Written> {
        writeln!(
            out,
            "# Suricata rules written by pubsub-hunt from {} alert(s); deploy with suricata.yaml rule-files.",
            plan.alerts.len()
        )?;
        let rules = plan_rules(plan);
        let mut n = 0;
        for (k, (i, r)) in rules.iter().enumerate() {
            let offset = u32::try_from(k).map_err(io::Error::other)?;
            let sid = self
                .options
                .sid_base
                .checked_add(offset)
                .ok_or_else(|| io::Error::other("sid numbering passes 4294967295"))?;
            writeln!(out, "{}", render(&plan.alerts[*i], r, sid, &self.options))?;
            n += 1;
        }
        Ok(Written { controls: n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AppView, TopicView};
    use crate::plan::{Safety, Selection, plan};
    use pubsub_hunt_core::Suspicion;

    fn alert(protocol: Protocol, app: Option<AppView>) -> AlertView {
        AlertView {
            id: "00000000000000ff".into(),
            suspicion: Suspicion::High,
            score: 90,
            host: "ws 1".into(),
            process: None,
            dst_ip: "198.51.100.7".parse().unwrap(),
            dst_port: 1883,
            protocol,
            external: true,
            destination_names: vec![],
            first_seen: Some("2026-02-03T04:05:06Z".into()),
            last_seen: None,
            app,
            suppressed_by: None,
        }
    }

    fn rules_of(a: AlertView) -> Vec<String> {
        let sel = Selection {
            min_suspicion: Some(Suspicion::Low),
            ids: vec![],
        };
        let p = plan(&[a], &sel, Safety::default());
        let opts = SuricataOptions::default();
        plan_rules(&p)
            .iter()
            .enumerate()
            .map(|(k, (i, r))| render(&p.alerts[*i], r, opts.sid_base + k as u32, &opts))
            .collect()
    }

    #[test]
    fn mqtt_topics_go_to_their_buffer_and_the_address_is_not_a_rule() {
        let app = AppView {
            topics: vec![TopicView {
                name: "c2/cmd".into(),
                direction: Direction::Subscribe,
            }],
            ..AppView::default()
        };
        let r = rules_of(alert(Protocol::Mqtt, Some(app)));
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(
            r[0].starts_with("alert mqtt $HOME_NET any -> any any ("),
            "{}",
            r[0]
        );
        assert!(
            r[0].contains("mqtt.subscribe.topic; content:\"c2|2f|cmd\"; startswith; endswith;")
        );
        assert!(r[0].contains("flow:established,to_server;"));
        assert!(r[0].contains("sid:1000000;"));
        assert!(r[0].contains("metadata:pubsub_hunt_alert_id 00000000000000ff,"));
        assert!(r[0].contains("created_at 2026_02_03"));
        assert!(r[0].contains("from ws_1\""), "{}", r[0]);
    }

    #[test]
    fn the_address_is_the_last_resort() {
        let r = rules_of(alert(Protocol::Kafka, None));
        assert_eq!(r.len(), 1);
        assert!(r[0].starts_with("alert tcp $HOME_NET any -> 198.51.100.7 1883 ("));
        assert!(!r[0].contains("content:"));
    }

    #[test]
    fn websocket_topics_are_not_matched_but_the_upgrade_is() {
        let app = AppView {
            websocket: true,
            topics: vec![TopicView {
                name: "t".into(),
                direction: Direction::Publish,
            }],
            ..AppView::default()
        };
        let r = rules_of(alert(Protocol::Mqtt, Some(app)));
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].starts_with("alert http $HOME_NET any -> 198.51.100.7 1883 ("));
        assert!(r[0].contains("http.header;"));
    }

    #[test]
    fn amqp_publish_is_anchored_to_the_method_frame() {
        let app = AppView {
            protocol_version: Some("0-9-1".into()),
            topics: vec![TopicView {
                name: "ex/key".into(),
                direction: Direction::Publish,
            }],
            ..AppView::default()
        };
        let r = rules_of(alert(Protocol::Amqp, Some(app)));
        assert!(
            r[0].contains("content:\"|00|<|00 28 00 00 02|ex|03|key\""),
            "{}",
            r[0]
        );
    }
}
