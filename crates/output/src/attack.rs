//! What every machine-readable finding says about the technique and the alert in words: the
//! ATT&CK tactic, technique and sub-technique pubsub-hunt detects, and an alert's title and
//! destination as a hunter reads them. Shared by the OCSF and ECS writers and the HTML report so
//! the three agree.

use pubsub_hunt_core::Alert;

/// ATT&CK tactic: Command and Control.
pub(crate) const TACTIC_ID: &str = "TA0011";
pub(crate) const TACTIC_NAME: &str = "Command and Control";
pub(crate) const TACTIC_URL: &str = "https://attack.mitre.org/tactics/TA0011/";
/// ATT&CK technique: Application Layer Protocol.
pub(crate) const TECHNIQUE_ID: &str = "T1071";
pub(crate) const TECHNIQUE_NAME: &str = "Application Layer Protocol";
pub(crate) const TECHNIQUE_URL: &str = "https://attack.mitre.org/techniques/T1071/";
/// ATT&CK sub-technique: Publish/Subscribe Protocols (the alert's `technique`).
pub(crate) const SUBTECHNIQUE_NAME: &str = "Publish/Subscribe Protocols";
pub(crate) const SUBTECHNIQUE_URL: &str = "https://attack.mitre.org/techniques/T1071/005/";

/// The destination as a hunter names it: its first name when the source resolved one, with
/// `address:port` (IPv6 in brackets).
pub(crate) fn destination(a: &Alert) -> String {
    let addr = std::net::SocketAddr::new(a.dst_ip, a.dst_port).to_string();
    match a.destination_names.first() {
        Some(name) => format!("{name} ({addr})"),
        None => addr,
    }
}

/// One line saying what the alert is: `MQTT channel from ws-01 (python.exe) to broker (a:p)`.
pub(crate) fn title(a: &Alert) -> String {
    let process = a
        .process
        .as_deref()
        .map(|p| format!(" ({})", process_name(p)))
        .unwrap_or_default();
    format!(
        "{} channel from {}{} to {}",
        a.protocol,
        a.host,
        process,
        destination(a)
    )
}

/// The file name of a process image, whichever separator its platform uses.
pub(crate) fn process_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_names_from_either_platform() {
        assert_eq!(process_name("C:\\Users\\a\\x.exe"), "x.exe");
        assert_eq!(process_name("/usr/bin/python3"), "python3");
        assert_eq!(process_name("svc"), "svc");
    }
}
