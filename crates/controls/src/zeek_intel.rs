//! The Zeek Intel framework file: `#fields indicator indicator_type meta.source meta.desc`, tab
//! separated, one `Intel::ADDR` per broker address and one `Intel::DOMAIN` per broker name, the
//! description naming the alerts, the technique and the port.

use crate::blocklist::{alert_list, domains, sockets};
use crate::plan::Plan;
use crate::{ControlWriter, Written};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// `zeek-intel.dat`.
pub struct ZeekIntelWriter;

/// Zeek reads fields up to a tab and lines up to a newline: neither may appear in a value.
fn field(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl ControlWriter for ZeekIntelWriter {
    fn file_name(&self) -> &'static str {
        "zeek-intel.dat"
    }
    fn write(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<Written> {
        writeln!(
            out,
            "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc"
        )?;
        // Intel::ADDR has no port: the ports of one address go into its description.
        let mut by_ip: BTreeMap<_, (BTreeSet<u16>, BTreeSet<String>)> = BTreeMap::new();
        for ((ip, port), ids) in sockets(plan) {
            let e = by_ip.entry(ip).or_default();
            e.0.insert(port);
            e.1.extend(ids);
        }
        let mut n = 0;
        for (ip, (ports, ids)) in &by_ip {
            let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
            writeln!(
                out,
                "{ip}\tIntel::ADDR\tpubsub-hunt\t{}",
                field(&format!(
                    "{} T1071.005 pub/sub C2 broker port {}",
                    alert_list(ids),
                    ports.join(",")
                ))
            )?;
            n += 1;
        }
        for (name, ids) in domains(plan) {
            writeln!(
                out,
                "{}\tIntel::DOMAIN\tpubsub-hunt\t{}",
                field(&name),
                field(&format!(
                    "{} T1071.005 pub/sub C2 broker name",
                    alert_list(&ids)
                ))
            )?;
            n += 1;
        }
        Ok(Written { controls: n })
    }
}
