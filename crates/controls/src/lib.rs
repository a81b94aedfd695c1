//! From findings to controls (ATT&CK M1031 and M1037): turns the alerts of a hunt into what a
//! team deploys the same afternoon. [`plan`] selects the alerts and splits each into observables
//! (destination, names, topics, client ids), leaving out, with the reason, any destination it is
//! not safe to block; the writers, one module per output behind [`ControlWriter`], render the
//! plan as Suricata rules ([`suricata`]), an nftables file ([`nftables`]), external dynamic lists
//! ([`edl`]), a Zeek Intel file ([`zeek_intel`]) and a STIX 2.1 bundle ([`stix`]), plus the list
//! of what was skipped ([`skipped`]). Pure text generation: no I/O beyond the writer given.

pub mod alert;
mod blocklist;
pub mod cloud;
pub mod edl;
mod escape;
pub mod nftables;
pub mod observable;
pub mod plan;
pub mod skipped;
pub mod stix;
pub mod suricata;
pub mod zeek_intel;

pub use alert::{AlertView, AppView, LineError, parse_line};
pub use plan::{Plan, Safety, Selection, SkipReason, Skipped, plan};
pub use suricata::SuricataOptions;

use std::io;

/// What one writer wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Rules, list entries or indicators written (for skipped lists: entries).
    pub controls: usize,
}

/// One output file: its name (documented in `docs/controls.md`) and how the plan is written.
pub trait ControlWriter {
    fn file_name(&self) -> &'static str;
    fn write(&self, plan: &Plan, out: &mut dyn io::Write) -> io::Result<Written>;
}

/// Every writer, in the order the files are written.
pub fn writers(suricata: SuricataOptions, now: String) -> Vec<Box<dyn ControlWriter>> {
    vec![
        Box::new(suricata::SuricataWriter { options: suricata }),
        Box::new(nftables::NftWriter),
        Box::new(edl::EdlAddresses),
        Box::new(edl::EdlDomains),
        Box::new(zeek_intel::ZeekIntelWriter),
        Box::new(stix::StixWriter { now }),
        Box::new(skipped::SkippedText),
        Box::new(skipped::SkippedJson),
    ]
}
