//! Settings of `controls`: where the alerts come from (a hunt over inputs, validated exactly as
//! `hunt` validates them, or a saved alerts file), which alerts to act on, the safety checks, the
//! Suricata numbering and class, and the output directory.

use super::hunt::HuntSettings;
use super::shared::suspicion;
use crate::args::{
    AllSessionsArg, ColorArg, ControlsArgs, FormatArg, HuntArgs, OutputArg, StateArgs,
    SuspicionArg, ViewArgs,
};
use anyhow::{Result, bail};
use pubsub_hunt_controls::{Safety, Selection, SuricataOptions};
use pubsub_hunt_core::Suspicion;
use std::path::PathBuf;

/// Where the alerts come from.
#[derive(Debug)]
pub enum ControlsInput {
    /// Hunt these inputs first (with suppressed and low alerts kept: the safety checks need
    /// every alert of the input, the selection then picks).
    Hunt(Box<HuntSettings>),
    /// A JSON lines alerts file; `None` is standard input.
    Alerts(Option<PathBuf>),
}

/// Everything `controls` needs, validated.
#[derive(Debug)]
pub struct ControlsSettings {
    pub input: ControlsInput,
    pub selection: Selection,
    pub safety: Safety,
    pub suricata: SuricataOptions,
    pub out_dir: PathBuf,
    pub strict: bool,
    pub quiet: bool,
}

impl ControlsSettings {
    pub fn from_args(a: ControlsArgs) -> Result<ControlsSettings> {
        for id in &a.ids {
            if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!("--id {id:?} is not an alert id (16 hex digits)");
            }
        }
        if a.sid_base == 0 {
            bail!("--sid-base must be at least 1");
        }
        if a.classtype.is_empty()
            || !a
                .classtype
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            bail!(
                "--classtype {:?} is not a classtype name (letters, digits, - and _)",
                a.classtype
            );
        }
        if a.shared_hosts == 0 {
            bail!("--shared-hosts must be at least 1");
        }
        let min_suspicion = match (a.min_suspicion, a.ids.is_empty()) {
            (Some(s), _) => Some(suspicion(s)),
            (None, true) => Some(Suspicion::High),
            (None, false) => None,
        };
        let input = match a.alerts {
            Some(p) if p.as_os_str() == "-" => ControlsInput::Alerts(None),
            Some(p) => ControlsInput::Alerts(Some(p)),
            None => {
                let hunt = HuntArgs {
                    paths: a.paths,
                    config: a.config,
                    input_format: a.input_format,
                    mapping: a.mapping,
                    format: Some(FormatArg::Jsonl),
                    output: OutputArg { output: None },
                    window: a.window,
                    analytics: a.analytics,
                    sessions: AllSessionsArg {
                        all_sessions: false,
                    },
                    show_suppressed: true,
                    no_default_allowlist: a.no_default_allowlist,
                    min_suspicion: Some(SuspicionArg::Low),
                    min_connections: a.min_connections,
                    internal: a.internal,
                    strict: a.strict,
                    fail_on_alert: false,
                    threads: a.threads,
                    quiet: a.quiet,
                    // Every alert of the input: the safety checks count hosts over all of them.
                    view: ViewArgs {
                        since: None,
                        until: None,
                        top: None,
                        hosts: Vec::new(),
                        dsts: Vec::new(),
                        color: ColorArg::Never,
                        details: false,
                    },
                    // Like `explain`, controls judge the inputs alone and leave history as it
                    // is: a command that writes control files must not change what the next
                    // hunt calls new.
                    state: StateArgs {
                        state: None,
                        no_state: true,
                    },
                };
                ControlsInput::Hunt(Box::new(HuntSettings::from_args(hunt)?))
            }
        };
        Ok(ControlsSettings {
            input,
            selection: Selection {
                min_suspicion,
                ids: a.ids.iter().map(|s| s.to_ascii_lowercase()).collect(),
            },
            safety: Safety {
                shared_hosts: a.shared_hosts,
                force: a.force,
            },
            suricata: SuricataOptions {
                sid_base: a.sid_base,
                classtype: a.classtype,
            },
            out_dir: a.out_dir,
            strict: a.strict,
            quiet: a.quiet,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Settings, from_words};
    use super::*;

    fn controls(words: &[&str]) -> Result<ControlsSettings> {
        let mut all = vec!["controls", "--out-dir", "out"];
        all.extend_from_slice(words);
        match from_words(&all)? {
            Settings::Controls(s) => Ok(s),
            other => panic!("not controls: {other:?}"),
        }
    }

    fn err(words: &[&str]) -> String {
        format!("{:#}", controls(words).unwrap_err())
    }

    #[test]
    fn a_hunt_keeps_every_alert_for_the_safety_checks() {
        let s = controls(&["--window", "1h", "a.log"]).unwrap();
        let ControlsInput::Hunt(h) = &s.input else {
            panic!("not a hunt")
        };
        assert!(h.config.show_suppressed);
        assert_eq!(h.config.min_suspicion, Suspicion::Low);
        assert_eq!(s.selection.min_suspicion, Some(Suspicion::High));
        assert_eq!(s.suricata, SuricataOptions::default());
        assert_eq!(s.safety, Safety::default());
    }

    #[test]
    fn ids_alone_select_only_those_alerts() {
        let s = controls(&["--alerts", "a.jsonl", "--id", "0123456789ABCDEF"]).unwrap();
        assert!(matches!(s.input, ControlsInput::Alerts(Some(_))));
        assert_eq!(s.selection.min_suspicion, None);
        assert_eq!(s.selection.ids, vec!["0123456789abcdef"]);
        let s = controls(&[
            "--alerts",
            "-",
            "--min-suspicion",
            "medium",
            "--id",
            "0123456789abcdef",
        ])
        .unwrap();
        assert!(matches!(s.input, ControlsInput::Alerts(None)));
        assert_eq!(s.selection.min_suspicion, Some(Suspicion::Medium));
    }

    #[test]
    fn bad_values_are_refused_before_anything_runs() {
        assert!(err(&["--alerts", "a", "--id", "xyz"]).contains("16 hex"));
        assert!(err(&["--alerts", "a", "--sid-base", "0"]).contains("--sid-base"));
        assert!(err(&["--alerts", "a", "--classtype", "a b"]).contains("--classtype"));
        assert!(err(&["--alerts", "a", "--shared-hosts", "0"]).contains("--shared-hosts"));
        assert!(err(&["--threads", "0", "a.log"]).contains("--threads"));
        // Inputs or an alerts file, not both, not neither.
        assert!(controls(&["--alerts", "a", "b.log"]).is_err());
        assert!(controls(&[]).is_err());
    }
}
