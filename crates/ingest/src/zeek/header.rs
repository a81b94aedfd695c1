//! The header of a Zeek ASCII log: the directive lines (`#separator`, `#set_separator`,
//! `#empty_field`, `#unset_field`, `#path`) set how the records after them are written, and a
//! `#fields` line gives their columns, as a new [`TsvSchema`].

use super::tsv::{TsvSchema, decode_escapes};

/// The header state while reading a TSV stream: directive lines update it, and a `#fields`
/// line produces a new schema.
#[derive(Debug, Clone)]
pub struct HeaderState {
    separator: u8,
    set_separator: char,
    unset: Vec<u8>,
    empty: Vec<u8>,
    path: Option<String>,
}

impl Default for HeaderState {
    fn default() -> Self {
        HeaderState {
            separator: b'\t',
            set_separator: ',',
            unset: b"-".to_vec(),
            empty: b"(empty)".to_vec(),
            path: None,
        }
    }
}

/// What one `#` line did.
#[derive(Debug)]
pub enum Directive {
    /// A new column layout.
    Schema(TsvSchema),
    /// A setting changed or an ignorable line (`#open`, `#close`, `#types`, comments).
    Other,
}

impl HeaderState {
    /// Applies one `#` line.
    pub fn apply(&mut self, line: &[u8]) -> Result<Directive, String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(b"#separator") {
            let v = decode_escapes(rest.strip_prefix(b" ").unwrap_or(rest));
            if v.len() != 1 {
                return Err(format!(
                    "unsupported separator {:?}",
                    String::from_utf8_lossy(&v)
                ));
            }
            self.separator = v[0];
            return Ok(Directive::Other);
        }
        let sep = self.separator;
        let value = |name: &[u8]| -> Option<Vec<u8>> {
            let rest = line.strip_prefix(name)?;
            let rest = rest
                .strip_prefix(&[sep])
                .or_else(|| rest.strip_prefix(b" "))?;
            Some(rest.to_vec())
        };
        if let Some(v) = value(b"#set_separator") {
            let d = decode_escapes(&v);
            self.set_separator = d.first().map(|b| *b as char).unwrap_or(',');
        } else if let Some(v) = value(b"#empty_field") {
            self.empty = decode_escapes(&v);
        } else if let Some(v) = value(b"#unset_field") {
            self.unset = decode_escapes(&v);
        } else if let Some(v) = value(b"#path") {
            self.path = Some(String::from_utf8_lossy(&v).trim().to_string());
        } else if let Some(v) = value(b"#fields") {
            let text = String::from_utf8_lossy(&v).into_owned();
            let names: Vec<&str> = text.split(sep as char).collect();
            return TsvSchema::from_columns(
                &names,
                sep,
                self.set_separator,
                &self.unset,
                &self.empty,
                self.path.clone(),
            )
            .map(Directive::Schema);
        }
        Ok(Directive::Other)
    }
}
