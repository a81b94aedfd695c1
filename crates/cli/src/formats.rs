//! The `formats` command: lists the input formats pubsub-hunt reads (every format of the
//! registry, in sniffing priority order) and the compressions it recognises.

use crate::exit;
use crate::settings::FormatsSettings;
use anyhow::Result;
use std::io::Write;

pub fn run(s: FormatsSettings) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    for f in s.registry.iter() {
        writeln!(out, "{:<18} {}", f.name(), f.description())?;
    }
    writeln!(
        out,
        "\nCompression (by content): gzip, zstd, zip archives (each member is an input)."
    )?;
    Ok(exit::SUCCESS)
}
