//! Zeek log readers: the ASCII writer's TSV (any separator, headers taken from `#fields`,
//! several logs concatenated) in [`tsv`], and JSON lines (dotted or underscored keys, epoch or
//! ISO-8601 timestamps) in [`json`]. Both parse a conn.log record's fields into a
//! [`ConnRecord`] and turn it into a `ConnEvent` with one function ([`ConnRecord::into_event`],
//! in `conn.rs`), so the two shapes of the same connection give the same event. The other logs
//! read ([`ZeekLog`]: ssl.log server names, by the crate's `server_name` rule; dns.log answers in
//! `dns.rs`; the MQTT logs in `mqtt.rs`) have one rule each for both shapes too. [`detect`] recognises a Zeek log from its
//! first bytes (the TSV header directives are read in [`header`]), and [`spec`] makes the
//! readers the `zeek-tsv` and `zeek-json` formats of the registry. A TSV conn.log also gives the
//! host census (`census.rs`: every line's initiator, responder and port).

mod census;
mod conn;
mod detect;
mod dns;
pub mod header;
pub mod json;
mod log;
mod mqtt;
pub mod spec;
pub mod tsv;

pub use conn::{
    ConnRecord, FAILED_STATES, HALF_STATES, direction_from_local_orig, outcome_from_state,
    outcome_of, protocols_from_service,
};
pub use detect::{Detected, detect};
pub use log::ZeekLog;
pub use spec::formats;
