//! Packets: reading captures (pcap, pcapng) and live interfaces, decoding link and network
//! layers, tracking flows with TCP reassembly, and recognising publish/subscribe protocols in
//! the reassembled bytes ([`dpi`]). Every flow becomes a [`pubsub_hunt_core::ConnEvent`] with
//! what inspection learned attached, so the analytics run on captures exactly as on logs.

pub mod capture;
pub mod dpi;
pub mod flow;
pub mod format;
pub mod ip;
pub mod link;
#[cfg(target_os = "linux")]
pub mod live;
pub mod read_ahead;
pub mod shard;
pub mod sink;
pub mod tcp;

pub use format::formats;
