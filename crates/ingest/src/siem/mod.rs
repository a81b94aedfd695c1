//! SIEM and EDR exports: Microsoft Defender XDR `DeviceNetworkEvents` (CSV and JSON), Splunk
//! search exports in CIM Network_Traffic fields, and the generic CSV/JSON mapping that lets a
//! hunter load any export from a mapping file.
//!
//! Every format here is a mapping file read by one engine: the built-in ones are shipped in
//! `crates/ingest/mappings/` and embedded in the binary, so their column names are data a
//! reviewer can check against the vendor's schema, not code.
//!
//! The modules, each depending only on the ones before it:
//!
//! - [`values`]: reading one value (patterns, timestamps, addresses, ports, labels);
//! - [`mapping`]: the mapping file's schema, its checks and the compiled [`mapping::Mapping`];
//! - [`apply`]: a mapping applied to one row gives a connection event;
//! - [`csv`] and [`json`]: a stream turned into rows, each applied through its mapping;
//! - [`spec`]: the glue that picks CSV or JSON for a mapping, and [`load_mapping`].

pub mod apply;
pub mod csv;
pub mod json;
pub mod mapping;
pub mod spec;
pub mod values;

pub use mapping::MappingError;
pub use spec::{MappedFormat, load_mapping};

use pubsub_hunt_reader::Registry;
use std::sync::OnceLock;

/// The built-in mapping files: (file name, text).
pub const BUILTIN_MAPPINGS: [(&str, &str); 4] = [
    (
        "defender-csv.toml",
        include_str!("../../mappings/defender-csv.toml"),
    ),
    (
        "defender-json.toml",
        include_str!("../../mappings/defender-json.toml"),
    ),
    (
        "splunk-csv.toml",
        include_str!("../../mappings/splunk-csv.toml"),
    ),
    (
        "splunk-json.toml",
        include_str!("../../mappings/splunk-json.toml"),
    ),
];

/// The SIEM formats, in sniffing priority order.
pub fn formats() -> Registry {
    // Loaded once: a mapping's names are leaked `&'static str`s, so loading them on every call
    // would grow memory with every run in a long-lived process (tests).
    static BUILTIN: OnceLock<Registry> = OnceLock::new();
    BUILTIN
        .get_or_init(|| {
            // The built-in mappings are checked by the tests; one that does not load is left
            // out rather than stopping every run.
            BUILTIN_MAPPINGS
                .iter()
                .filter_map(|(_, text)| load_mapping(text).ok())
                .collect()
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_mapping_loads_under_its_file_name() {
        for (file, text) in BUILTIN_MAPPINGS {
            let f = load_mapping(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(format!("{}.toml", f.name()), file);
            assert!(!f.description().is_empty());
        }
        assert_eq!(formats().len(), BUILTIN_MAPPINGS.len());
    }
}
