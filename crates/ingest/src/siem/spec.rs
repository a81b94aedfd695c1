//! The format glue: a compiled mapping as an input format ([`MappedFormat`]), which hands the
//! stream to the CSV or the JSON reader by the mapping's `kind`, and [`load_mapping`], which
//! turns the text of a mapping file into such a format. This is the only module that knows
//! both readers; they in turn know only the mapping and how to apply it.

use super::mapping::{Kind, Mapping, MappingError};
use super::{csv, json};
use pubsub_hunt_reader::{Confidence, FormatSpec, Reader};
use std::sync::Arc;

/// A format read through a mapping.
pub struct MappedFormat {
    pub mapping: Arc<Mapping>,
}

impl FormatSpec for MappedFormat {
    fn name(&self) -> &'static str {
        self.mapping.name
    }

    fn description(&self) -> &'static str {
        self.mapping.description
    }

    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        match self.mapping.kind {
            Kind::Csv => csv::sniff(&self.mapping, head),
            Kind::Json => json::sniff(&self.mapping, head),
        }
    }

    fn open(&self, head: &[u8]) -> Result<Reader, String> {
        match self.mapping.kind {
            Kind::Csv => csv::open(&self.mapping, head),
            Kind::Json => json::open(&self.mapping, head),
        }
    }
}

/// Loads a mapping file (the text of `--mapping FILE`) as an input format.
pub fn load_mapping(toml_text: &str) -> Result<Arc<dyn FormatSpec>, MappingError> {
    let mapping = Mapping::from_toml(toml_text)?;
    Ok(Arc::new(MappedFormat {
        mapping: Arc::new(mapping),
    }))
}
