//! External dynamic lists, the plain form firewalls fetch over HTTP(S) (PAN-OS EDL, FortiGate
//! threat feeds, Check Point, OPNsense URL tables): one entry per line and nothing else, since
//! not every product accepts comments. One list of addresses, one of domain names; the alert
//! each entry came from is in the other files (nft comment, Zeek meta.desc, STIX).

use crate::blocklist::{domains, sockets};
use crate::plan::Plan;
use crate::{ControlWriter, Written};
use std::collections::BTreeSet;
use std::io::{self, Write};

/// `edl-addresses.txt`: broker addresses, one per line (ports cannot be said in an EDL).
pub struct EdlAddresses;

impl ControlWriter for EdlAddresses {
    fn file_name(&self) -> &'static str {
        "edl-addresses.txt"
    }
    fn write(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<Written> {
        let ips: BTreeSet<_> = sockets(plan).into_keys().map(|(ip, _)| ip).collect();
        for ip in &ips {
            writeln!(out, "{ip}")?;
        }
        Ok(Written {
            controls: ips.len(),
        })
    }
}

/// `edl-domains.txt`: broker names, one per line.
pub struct EdlDomains;

impl ControlWriter for EdlDomains {
    fn file_name(&self) -> &'static str {
        "edl-domains.txt"
    }
    fn write(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<Written> {
        let names = domains(plan);
        for n in names.keys() {
            writeln!(out, "{n}")?;
        }
        Ok(Written {
            controls: names.len(),
        })
    }
}
