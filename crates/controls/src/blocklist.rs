//! What the blocklists share: the destination addresses (with ports) and domain names of a
//! plan, each with the ids of the alerts that named it, in a fixed order so files diff cleanly.

use crate::observable::Observable;
use crate::plan::Plan;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Every planned broker address and port, with the alerts that named it.
pub fn sockets(plan: &Plan) -> BTreeMap<(IpAddr, u16), BTreeSet<String>> {
    let mut m: BTreeMap<(IpAddr, u16), BTreeSet<String>> = BTreeMap::new();
    for c in &plan.controls {
        if let Observable::Address { ip, port } = &c.observable {
            m.entry((*ip, *port))
                .or_default()
                .insert(plan.alerts[c.alert].id.clone());
        }
    }
    m
}

/// Every planned domain name, with the alerts that named it.
pub fn domains(plan: &Plan) -> BTreeMap<String, BTreeSet<String>> {
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in &plan.controls {
        if let Observable::Domain { name, .. } = &c.observable {
            m.entry(name.clone())
                .or_default()
                .insert(plan.alerts[c.alert].id.clone());
        }
    }
    m
}

/// `alert a, b` for comments.
pub fn alert_list(ids: &BTreeSet<String>) -> String {
    let v: Vec<&str> = ids.iter().map(String::as_str).collect();
    format!(
        "pubsub-hunt alert{} {}",
        if v.len() > 1 { "s" } else { "" },
        v.join(",")
    )
}
