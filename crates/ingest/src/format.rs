//! The format a user forces with `--input-format`, or `auto`. A file's name says nothing
//! reliable (rotated Zeek logs are called `conn.15:00:00-16:00:00.log.gz`, exports are called
//! `download.csv`), so by default the format is decided from the first bytes of the
//! decompressed stream by the sniffers of the registry
//! ([`FormatSpec`](pubsub_hunt_reader::FormatSpec)).

use std::fmt;
use std::str::FromStr;

/// The format a user can force, or `Auto`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InputFormat {
    #[default]
    Auto,
    /// A format of the registry, by name (checked by the caller against the registry).
    Named(String),
}

impl InputFormat {
    pub fn name(&self) -> &str {
        match self {
            InputFormat::Auto => "auto",
            InputFormat::Named(n) => n,
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for InputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(InputFormat::Auto),
            // The name Zeek's ASCII logs had before there was a JSON reader.
            "zeek" => Ok(InputFormat::Named("zeek-tsv".to_string())),
            "" => Err("empty input format name".to_string()),
            other => Ok(InputFormat::Named(other.to_string())),
        }
    }
}
