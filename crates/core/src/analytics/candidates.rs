//! Which connections the engine hunts, and as what: the (analytic, protocol) pairs of an event
//! — a standard pub/sub port, a protocol the source identified on another port, a public
//! broker's name on any port, a masqueraded program on any port — before the exclusions
//! (`Engine::observe`) decide whether it is counted.

use super::{Accumulator, Engine};
use crate::behaviour::destination::public_broker;
use crate::event::ConnEvent;
use crate::protocol::Protocol;
use crate::verdict::AnalyticId;

impl Engine {
    /// The (analytic, protocol) pairs an event is a candidate for, before exclusions.
    pub fn candidate_keys(&self, ev: &ConnEvent) -> Vec<(AnalyticId, Protocol)> {
        let mut out = Vec::new();
        if self.forms_groups(AnalyticId::PubsubPort)
            && let Some(p) = self.cfg.protocol_for_port(ev.dst_port)
        {
            out.push((AnalyticId::PubsubPort, p));
        }
        if self.forms_groups(AnalyticId::PubsubUnusualPort) {
            for &p in &ev.identified {
                let std_ports = self.cfg.standard_ports(p);
                if !std_ports.is_empty()
                    && !std_ports.contains(&ev.dst_port)
                    && !out.contains(&(AnalyticId::PubsubUnusualPort, p))
                {
                    out.push((AnalyticId::PubsubUnusualPort, p));
                }
            }
        }
        if out.is_empty() && self.hunts_by_name(ev) {
            out.push((AnalyticId::PubsubDestination, Protocol::Mqtt));
        }
        if out.is_empty() && self.hunts_masquerading(ev) {
            out.push((AnalyticId::PubsubProcess, Protocol::Unidentified));
        }
        out
    }

    /// Whether a connection that no port analytic takes is hunted for its destination's name:
    /// a public MQTT broker's (the source's resolved name, or the server name of a captured TLS
    /// handshake). Public brokers take MQTT over WebSocket and TLS on ports of their own (8084,
    /// 8884, 443…), which no port rule covers and a connection log does not label; the name says
    /// what the connection is, and the behaviour analytics judge it (a dashboard in a browser
    /// is not a beacon), when the destination analytic is enabled.
    fn hunts_by_name(&self, ev: &ConnEvent) -> bool {
        self.cfg.behaviour.enabled
            && self.cfg.analytic_enabled(AnalyticId::PubsubDestination)
            && names_public_broker(ev)
    }

    /// A connection a name log recorded (the `conn` of a `DestName` record: an ssl.log handshake
    /// naming a public broker), observed only when its name alone makes it a candidate: on a
    /// port a port analytic takes, the connection log has the connection (and it would count
    /// twice). Returns whether it was observed.
    pub fn observe_named_connection(&self, ev: &ConnEvent, acc: &mut Accumulator) -> bool {
        if self.cfg.protocol_for_port(ev.dst_port).is_some() || !self.hunts_by_name(ev) {
            return false;
        }
        self.observe(ev, acc);
        true
    }

    /// Whether a connection that no port analytic takes is hunted for its program: a Windows
    /// system binary's name running from outside its directory (ATT&CK T1036.005). Such a
    /// program is not what it says, and what it speaks on a web port (MQTT on 443, say) is not
    /// in a log that records no payload, so its connections are judged on any port, with the
    /// behaviour analytics, when the process analytic is enabled.
    fn hunts_masquerading(&self, ev: &ConnEvent) -> bool {
        self.cfg.behaviour.enabled
            && self.cfg.analytic_enabled(AnalyticId::PubsubProcess)
            && ev.process.as_deref().is_some_and(|p| {
                matches!(
                    crate::behaviour::masquerade::judge(p),
                    Some(crate::behaviour::masquerade::Verdict::Masqueraded { .. })
                )
            })
    }

    /// Whether a port analytic forms groups: when it is enabled, or when only behaviour analytics
    /// are (they look inside the groups both port analytics would form).
    fn forms_groups(&self, id: AnalyticId) -> bool {
        let cfg = &self.cfg;
        cfg.analytic_enabled(id)
            || (cfg.behaviour.enabled
                && !cfg.analytic_enabled(AnalyticId::PubsubPort)
                && !cfg.analytic_enabled(AnalyticId::PubsubUnusualPort))
    }
}

/// Whether a connection's destination is named as a public broker: by the name its source
/// resolved (Sysmon `DestinationHostname`, an ssl.log server name) or by a captured TLS
/// handshake's server name.
fn names_public_broker(ev: &ConnEvent) -> bool {
    ev.dst_name
        .as_deref()
        .is_some_and(|n| public_broker(n).is_some())
        || ev
            .app
            .as_deref()
            .is_some_and(|a| a.server_names.iter().any(|n| public_broker(n).is_some()))
}
