//! The JSON lines writer: one object per alert (or session) per line, with the fields of
//! [`Alert`] exactly as serde gives them, so this is the format other tools parse.

use super::AlertWriter;
use pubsub_hunt_core::{Alert, Session};
use std::io::{self, Write};

/// One JSON object per line.
pub struct JsonlWriter<'a> {
    out: Box<dyn Write + 'a>,
}

impl<'a> JsonlWriter<'a> {
    pub fn new(out: Box<dyn Write + 'a>) -> Self {
        JsonlWriter { out }
    }
}

impl AlertWriter for JsonlWriter<'_> {
    fn write_alert(&mut self, alert: &Alert) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, alert)?;
        self.out.write_all(b"\n")
    }
    fn write_session(&mut self, session: &Session) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, session)?;
        self.out.write_all(b"\n")
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
