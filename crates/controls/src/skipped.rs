//! The list of candidate controls left out and why, for the hunter to review: `skipped.txt` for
//! reading and `skipped.json` for tools. Both are written even when empty, so an empty file says
//! that nothing was skipped rather than that the list was not made.

use crate::plan::Plan;
use crate::{ControlWriter, Written};
use serde_json::json;
use std::io::{self, Write};

/// One line per skipped candidate.
pub fn lines(plan: &Plan) -> Vec<String> {
    plan.skipped
        .iter()
        .map(|s| {
            format!(
                "alert {} ({}): {} {} not written: {}",
                s.alert_id, s.host, s.kind, s.value, s.reason
            )
        })
        .collect()
}

/// `skipped.txt`.
pub struct SkippedText;

impl ControlWriter for SkippedText {
    fn file_name(&self) -> &'static str {
        "skipped.txt"
    }
    fn write(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<Written> {
        for l in lines(plan) {
            writeln!(out, "{l}")?;
        }
        Ok(Written {
            controls: plan.skipped.len(),
        })
    }
}

/// `skipped.json`: an array of `{alert_id, host, kind, value, reason, detail}`.
pub struct SkippedJson;

impl ControlWriter for SkippedJson {
    fn file_name(&self) -> &'static str {
        "skipped.json"
    }
    fn write(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<Written> {
        let v: Vec<_> = plan
            .skipped
            .iter()
            .map(|s| {
                json!({
                    "alert_id": s.alert_id,
                    "host": s.host,
                    "kind": s.kind,
                    "value": s.value,
                    "reason": s.reason.code(),
                    "detail": s.reason.to_string(),
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        Ok(Written {
            controls: plan.skipped.len(),
        })
    }
}
