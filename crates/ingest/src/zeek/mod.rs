//! Zeek conn.log readers: the ASCII writer's TSV (any separator, headers taken from `#fields`,
//! several logs concatenated) in [`tsv`], and JSON lines (dotted or underscored keys, epoch or
//! ISO-8601 timestamps) in [`json`]. Both parse a record's fields into a [`ConnRecord`] and turn
//! it into a `ConnEvent` with one function ([`ConnRecord::into_event`], in `conn.rs`), so the two
//! shapes of the same connection give the same event. [`spec`] makes them the `zeek-tsv` and
//! `zeek-json` formats of the registry.

mod conn;
pub mod json;
pub mod spec;
pub mod tsv;

pub use conn::{
    ConnRecord, FAILED_STATES, direction_from_local_orig, outcome_from_state,
    protocols_from_service,
};
pub use spec::{Detected, detect, formats};
