//! The nftables file: a table `inet pubsub_hunt` with one set of (address . port) per address
//! family and rules in the output and forward hooks that drop TCP to them, each element's comment
//! naming its alerts. The file replaces the table atomically when loaded again (`nft -f`), so a
//! new run's list replaces the old one instead of adding to it.

use crate::blocklist::{alert_list, sockets};
use crate::plan::Plan;
use crate::{ControlWriter, Written};
use std::io::{self, Write};
use std::net::IpAddr;

/// `pubsub-hunt.nft`.
pub struct NftWriter;

impl ControlWriter for NftWriter {
    fn file_name(&self) -> &'static str {
        "pubsub-hunt.nft"
    }

    fn write(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<Written> {
        let all = sockets(plan);
        let (v4, v6): (Vec<_>, Vec<_>) = all.iter().partition(|((ip, _), _)| ip.is_ipv4());
        writeln!(out, "#!/usr/sbin/nft -f")?;
        writeln!(
            out,
            "# pubsub-hunt: drop TCP to the brokers of {} alert(s) (MITRE ATT&CK M1037). Load with: nft -f pubsub-hunt.nft",
            plan.alerts.len()
        )?;
        // Declaring then deleting the table makes the load replace it, whether it existed or not.
        writeln!(out, "table inet pubsub_hunt")?;
        writeln!(out, "delete table inet pubsub_hunt")?;
        writeln!(out, "table inet pubsub_hunt {{")?;
        for (name, ty, list) in [
            ("brokers_v4", "ipv4_addr", &v4),
            ("brokers_v6", "ipv6_addr", &v6),
        ] {
            writeln!(out, "\tset {name} {{")?;
            writeln!(out, "\t\ttype {ty} . inet_service")?;
            if !list.is_empty() {
                writeln!(out, "\t\telements = {{")?;
                for ((ip, port), ids) in list.iter() {
                    writeln!(
                        out,
                        "\t\t\t{} . {port} comment \"{}\",",
                        addr(*ip),
                        alert_list(ids)
                    )?;
                }
                writeln!(out, "\t\t}}")?;
            }
            writeln!(out, "\t}}")?;
        }
        for hook in ["output", "forward"] {
            writeln!(out, "\tchain {hook} {{")?;
            writeln!(
                out,
                "\t\ttype filter hook {hook} priority filter; policy accept;"
            )?;
            writeln!(
                out,
                "\t\tip daddr . tcp dport @brokers_v4 counter drop comment \"pubsub-hunt T1071.005\""
            )?;
            writeln!(
                out,
                "\t\tip6 daddr . tcp dport @brokers_v6 counter drop comment \"pubsub-hunt T1071.005\""
            )?;
            writeln!(out, "\t}}")?;
        }
        writeln!(out, "}}")?;
        Ok(Written {
            controls: all.len(),
        })
    }
}

fn addr(ip: IpAddr) -> String {
    ip.to_string()
}
