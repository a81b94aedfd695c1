//! Which alerts become controls, and which of their observables are safe to act on: the
//! selection (a least suspicion, or alert ids) and the safety checks. A destination control is
//! never planned for an alert the allowlist suppressed, for a destination many internal hosts
//! reach (a shared service, counted over every alert of the input), or for a cloud provider's
//! shared endpoint ([`crate::cloud`]), unless forced; each such candidate is kept with its reason
//! so the hunter sees what was left out. Channel observables (topics, client ids) of a shared or
//! cloud destination are still planned: a signature on them matches only this channel, which is
//! exactly the control a shared broker needs.

use crate::alert::AlertView;
use crate::cloud::shared_endpoint;
use crate::observable::{Observable, Scope, observables};
use pubsub_hunt_core::Suspicion;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// Which alerts to act on: those at or above `min_suspicion`, and those named by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// `None` with ids: only the named alerts.
    pub min_suspicion: Option<Suspicion>,
    pub ids: Vec<String>,
}

impl Selection {
    pub fn selects(&self, a: &AlertView) -> bool {
        self.ids.iter().any(|id| id.eq_ignore_ascii_case(&a.id))
            || self.min_suspicion.is_some_and(|m| a.suspicion >= m)
    }

    /// The named ids no alert has (so a typo is reported, not silently ignored).
    pub fn unknown_ids(&self, all: &[AlertView]) -> Vec<String> {
        self.ids
            .iter()
            .filter(|id| !all.iter().any(|a| a.id.eq_ignore_ascii_case(id)))
            .cloned()
            .collect()
    }
}

/// Why a candidate control was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The allowlist covered the alert (its `suppressed_by`).
    Allowlisted { entry: String },
    /// At least `threshold` internal hosts reach the destination address.
    SharedDestination { hosts: usize, threshold: usize },
    /// The destination is a cloud provider's shared endpoint.
    CloudEndpoint {
        provider: &'static str,
        service: &'static str,
        name: String,
    },
}

impl SkipReason {
    /// A stable short code (`skipped.json`).
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::Allowlisted { .. } => "allowlisted",
            SkipReason::SharedDestination { .. } => "shared-destination",
            SkipReason::CloudEndpoint { .. } => "cloud-endpoint",
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Allowlisted { entry } => write!(f, "the allowlist covers it ({entry})"),
            SkipReason::SharedDestination { hosts, threshold } => write!(
                f,
                "{hosts} internal hosts reach this destination (shared service; limit {threshold})"
            ),
            SkipReason::CloudEndpoint {
                provider,
                service,
                name,
            } => write!(f, "{name} is a {provider} shared endpoint ({service})"),
        }
    }
}

/// One control to write: an observable of a selected alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    /// Index into [`Plan::alerts`].
    pub alert: usize,
    pub observable: Observable,
}

/// One candidate left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub alert_id: String,
    pub host: String,
    pub kind: &'static str,
    pub value: String,
    pub reason: SkipReason,
}

/// How the safety checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Safety {
    /// A destination reached by this many distinct internal hosts or more is a shared service.
    pub shared_hosts: usize,
    /// Plan every candidate, skipping nothing.
    pub force: bool,
}

impl Default for Safety {
    fn default() -> Safety {
        Safety {
            shared_hosts: 5,
            force: false,
        }
    }
}

/// The selected alerts, the controls to write and the candidates skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub alerts: Vec<AlertView>,
    pub controls: Vec<Control>,
    pub skipped: Vec<Skipped>,
}

impl Plan {
    /// The controls of one alert.
    pub fn of_alert(&self, alert: usize) -> impl Iterator<Item = &Observable> {
        self.controls
            .iter()
            .filter(move |c| c.alert == alert)
            .map(|c| &c.observable)
    }
}

/// Distinct hosts per destination address over every alert of the input (suppressed and
/// unselected ones too: they are what shows a service is shared).
pub fn hosts_per_destination(all: &[AlertView]) -> HashMap<IpAddr, usize> {
    let mut sets: HashMap<IpAddr, BTreeSet<&str>> = HashMap::new();
    for a in all {
        sets.entry(a.dst_ip).or_default().insert(a.host.as_str());
    }
    sets.into_iter().map(|(ip, s)| (ip, s.len())).collect()
}

/// Plans the controls for the alerts of `all` that `selection` selects.
pub fn plan(all: &[AlertView], selection: &Selection, safety: Safety) -> Plan {
    let reach = hosts_per_destination(all);
    let mut plan = Plan {
        alerts: Vec::new(),
        controls: Vec::new(),
        skipped: Vec::new(),
    };
    for a in all.iter().filter(|a| selection.selects(a)) {
        let index = plan.alerts.len();
        plan.alerts.push(a.clone());
        let obs = observables(a);
        let alert_reason = a
            .suppressed_by
            .as_ref()
            .map(|entry| SkipReason::Allowlisted {
                entry: entry.clone(),
            });
        let destination_reason = destination_reason(a, &obs, &reach, safety.shared_hosts);
        for o in obs {
            let reason = if safety.force {
                None
            } else if let Some(r) = &alert_reason {
                Some(r.clone())
            } else if o.scope() == Scope::Destination {
                destination_reason.clone()
            } else {
                None
            };
            match reason {
                Some(reason) => plan.skipped.push(Skipped {
                    alert_id: a.id.clone(),
                    host: a.host.clone(),
                    kind: o.kind(),
                    value: o.value(),
                    reason,
                }),
                None => plan.controls.push(Control {
                    alert: index,
                    observable: o,
                }),
            }
        }
    }
    plan
}

/// Why the destination of `a` must not be blocked, if it must not.
fn destination_reason(
    a: &AlertView,
    obs: &[Observable],
    reach: &HashMap<IpAddr, usize>,
    threshold: usize,
) -> Option<SkipReason> {
    let names = obs.iter().filter_map(|o| match o {
        Observable::Domain { name, .. } => Some(name.as_str()),
        _ => None,
    });
    for name in names {
        if let Some(e) = shared_endpoint(name) {
            return Some(SkipReason::CloudEndpoint {
                provider: e.provider,
                service: e.service,
                name: name.to_string(),
            });
        }
    }
    let hosts = reach.get(&a.dst_ip).copied().unwrap_or(1);
    (hosts >= threshold).then_some(SkipReason::SharedDestination { hosts, threshold })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::AppView;
    use pubsub_hunt_core::Protocol;

    fn alert(id: &str, host: &str, ip: &str, s: Suspicion) -> AlertView {
        AlertView {
            id: id.into(),
            suspicion: s,
            score: 80,
            host: host.into(),
            process: None,
            dst_ip: ip.parse().unwrap(),
            dst_port: 1883,
            protocol: Protocol::Mqtt,
            external: true,
            destination_names: vec![],
            first_seen: None,
            last_seen: None,
            app: Some(AppView {
                client_ids: ["bot".to_string()].into(),
                ..AppView::default()
            }),
            suppressed_by: None,
        }
    }

    fn by_ids(ids: &[&str]) -> Selection {
        Selection {
            min_suspicion: None,
            ids: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn selection_by_suspicion_or_id() {
        let all = vec![
            alert("a", "h1", "198.51.100.1", Suspicion::High),
            alert("b", "h1", "198.51.100.2", Suspicion::Medium),
        ];
        let high = Selection {
            min_suspicion: Some(Suspicion::High),
            ids: vec![],
        };
        let p = plan(&all, &high, Safety::default());
        assert_eq!(p.alerts.len(), 1);
        assert_eq!(p.alerts[0].id, "a");
        let p = plan(&all, &by_ids(&["B"]), Safety::default());
        assert_eq!(p.alerts[0].id, "b");
        assert_eq!(by_ids(&["b", "zz"]).unknown_ids(&all), vec!["zz"]);
    }

    #[test]
    fn suppressed_alerts_yield_nothing_unless_forced() {
        let mut a = alert("a", "h1", "198.51.100.1", Suspicion::High);
        a.suppressed_by = Some("chat client".into());
        let all = vec![a];
        let p = plan(&all, &by_ids(&["a"]), Safety::default());
        assert!(p.controls.is_empty());
        assert_eq!(p.skipped.len(), 2, "{:?}", p.skipped);
        assert!(p.skipped.iter().all(|s| s.reason.code() == "allowlisted"));
        let forced = Safety {
            force: true,
            ..Safety::default()
        };
        let p = plan(&all, &by_ids(&["a"]), forced);
        assert_eq!(p.controls.len(), 2);
        assert!(p.skipped.is_empty());
    }

    #[test]
    fn a_destination_many_hosts_reach_keeps_only_channel_controls() {
        let mut all: Vec<AlertView> = (0..5)
            .map(|i| {
                alert(
                    &format!("x{i}"),
                    &format!("h{i}"),
                    "203.0.113.9",
                    Suspicion::Low,
                )
            })
            .collect();
        all.push(alert("c2", "h9", "198.51.100.1", Suspicion::High));
        let p = plan(&all, &by_ids(&["x0", "c2"]), Safety::default());
        let skipped: Vec<_> = p
            .skipped
            .iter()
            .map(|s| (s.alert_id.as_str(), s.kind))
            .collect();
        assert_eq!(skipped, vec![("x0", "address")]);
        assert!(matches!(
            p.skipped[0].reason,
            SkipReason::SharedDestination {
                hosts: 5,
                threshold: 5
            }
        ));
        // The shared destination's client id is still a signature; the lone one is blocked.
        let kinds: Vec<_> = p
            .controls
            .iter()
            .map(|c| (c.alert, c.observable.kind()))
            .collect();
        assert_eq!(
            kinds,
            vec![(0, "client-id"), (1, "address"), (1, "client-id")]
        );
    }

    #[test]
    fn cloud_endpoints_are_not_blocked() {
        let mut a = alert("a", "h1", "198.51.100.1", Suspicion::High);
        a.destination_names = vec!["abc-ats.iot.us-east-1.amazonaws.com".into()];
        let p = plan(&[a], &by_ids(&["a"]), Safety::default());
        let skipped: Vec<_> = p.skipped.iter().map(|s| s.kind).collect();
        assert_eq!(skipped, vec!["address", "domain"]);
        assert!(
            p.skipped[0]
                .reason
                .to_string()
                .contains("Amazon Web Services")
        );
        assert_eq!(p.controls.len(), 1);
    }
}
