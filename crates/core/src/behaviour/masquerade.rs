//! Process masquerading (ATT&CK T1036.005): an image named like a Windows system binary
//! (`svchost.exe`, `wmiprvse.exe`, `lsass.exe`…) that runs from outside that binary's real
//! directory, speaking a pub/sub protocol. Also the weaker converse: a genuine system binary, from
//! its real directory, speaking MQTT, XMPP, AMQP or STOMP, which none of them does by design
//! (docs/names-and-payloads.md, system binaries).
//!
//! The table of system binaries and their directories is [`SYSTEM_BINARIES`]. Paths are compared
//! after [`normalise_windows_path`]: case folded, `/` and `\` alike, the Win32 and NT prefixes
//! (`\\?\`, `\??\`, `\Device\HarddiskVolumeN\`, `\SystemRoot\`) and the environment forms
//! (`%SystemRoot%`, `%windir%`) reduced to one `<drive>:\windows\…` form, `.` and `..` resolved.
//! An image with no directory (only a file name) cannot be judged for its place; it gets the weak
//! signal only, saying so.

use super::{MAX_SCORED_BYTES, Signal, Weights, capped};
use crate::signal::SignalId;

/// Where a system binary really lives, relative to the Windows directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    /// `System32`, or `SysWOW64` for the 32-bit build on 64-bit Windows.
    System,
    /// The Windows directory itself (`explorer.exe`), or `SysWOW64` for the 32-bit build.
    Windows,
    /// `System32\wbem` or its `SysWOW64` twin (the WMI provider host).
    Wbem,
    /// `System32\WindowsPowerShell\v1.0` or its `SysWOW64` twin.
    PowerShell,
}

impl Home {
    /// Directories (normalised, without drive) the binary may run from.
    pub fn dirs(self) -> &'static [&'static str] {
        match self {
            Home::System => &["\\windows\\system32", "\\windows\\syswow64"],
            Home::Windows => &["\\windows", "\\windows\\syswow64"],
            Home::Wbem => &["\\windows\\system32\\wbem", "\\windows\\syswow64\\wbem"],
            Home::PowerShell => &[
                "\\windows\\system32\\windowspowershell\\v1.0",
                "\\windows\\syswow64\\windowspowershell\\v1.0",
            ],
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Home::System => "C:\\Windows\\System32 (or SysWOW64)",
            Home::Windows => "C:\\Windows",
            Home::Wbem => "C:\\Windows\\System32\\wbem",
            Home::PowerShell => "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
        }
    }
}

/// Windows system binaries that malware names itself after, and where each really lives. These
/// are the core processes every Windows host runs (session manager, service host, logon, shell)
/// and the hosts and helpers that are always present, which is what makes their names good cover.
pub const SYSTEM_BINARIES: &[(&str, Home)] = &[
    ("svchost.exe", Home::System),
    ("wmiprvse.exe", Home::Wbem),
    ("rundll32.exe", Home::System),
    ("lsass.exe", Home::System),
    ("lsaiso.exe", Home::System),
    ("lsm.exe", Home::System),
    ("services.exe", Home::System),
    ("csrss.exe", Home::System),
    ("smss.exe", Home::System),
    ("winlogon.exe", Home::System),
    ("wininit.exe", Home::System),
    ("userinit.exe", Home::System),
    ("explorer.exe", Home::Windows),
    ("taskhost.exe", Home::System),
    ("taskhostw.exe", Home::System),
    ("taskhostex.exe", Home::System),
    ("taskmgr.exe", Home::System),
    ("dllhost.exe", Home::System),
    ("conhost.exe", Home::System),
    ("spoolsv.exe", Home::System),
    ("searchindexer.exe", Home::System),
    ("searchprotocolhost.exe", Home::System),
    ("searchfilterhost.exe", Home::System),
    ("sihost.exe", Home::System),
    ("ctfmon.exe", Home::System),
    ("dwm.exe", Home::System),
    ("fontdrvhost.exe", Home::System),
    ("runtimebroker.exe", Home::System),
    ("backgroundtaskhost.exe", Home::System),
    ("audiodg.exe", Home::System),
    ("msdtc.exe", Home::System),
    ("wuauclt.exe", Home::System),
    ("werfault.exe", Home::System),
    ("regsvr32.exe", Home::System),
    ("cmd.exe", Home::System),
    ("powershell.exe", Home::PowerShell),
];

/// What [`judge`] found about an image named like a system binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Named like a system binary, running from elsewhere (the normalised directory).
    Masqueraded {
        name: &'static str,
        home: Home,
        dir: String,
    },
    /// The system binary from its real directory.
    Genuine { name: &'static str },
    /// Named like a system binary, but the image has no directory to judge.
    NameOnly { name: &'static str },
}

/// `image` reduced to one comparable form: lower case, `\` separators, the Win32 device prefixes
/// (`\\?\`, `\\.\`, `\??\`) removed, `\Device\HarddiskVolumeN` and `\SystemRoot` and the
/// `%SystemRoot%`/`%windir%` variables turned into `c:\windows`-style paths, `.` and `..`
/// resolved. The drive letter is kept (`x:`), or empty for volume paths whose drive is unknown.
pub fn normalise_windows_path(image: &str) -> String {
    let s = capped(image, MAX_SCORED_BYTES).trim().trim_matches('"');
    let mut p = s.replace('/', "\\").to_ascii_lowercase();
    for prefix in ["\\\\?\\", "\\\\.\\", "\\??\\"] {
        if let Some(rest) = p.strip_prefix(prefix) {
            p = rest.to_string();
            break;
        }
    }
    // `\Device\HarddiskVolume3\Windows\…`: the volume's drive letter is not in the path.
    if let Some(rest) = p.strip_prefix("\\device\\harddiskvolume") {
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        p = rest.to_string();
    }
    for var in ["%systemroot%", "%windir%", "\\systemroot"] {
        if let Some(rest) = p.strip_prefix(var) {
            p = format!("c:\\windows{rest}");
            break;
        }
    }
    // Resolve `.` and `..` so `C:\Windows\System32\..\Temp\svchost.exe` is seen in Temp.
    let (drive, path) = match p.as_bytes() {
        [d, b':', ..] if d.is_ascii_alphabetic() => (p.get(..2).unwrap_or(""), p.get(2..)),
        _ => ("", Some(p.as_str())),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in path.unwrap_or("").split('\\') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("{drive}\\{}", parts.join("\\"))
}

/// Whether an image names a Windows program: a Windows-style path (drive, backslash, device or
/// environment form) or a file name ending in `.exe`. Unix images named `services` or `explorer`
/// are other programs.
fn looks_windows(image: &str) -> bool {
    let s = image.trim().trim_matches('"');
    let b = s.as_bytes();
    s.contains('\\')
        || s.starts_with('%')
        || matches!(b, [d, b':', ..] if d.is_ascii_alphabetic())
        || s.to_ascii_lowercase().ends_with(".exe")
}

/// The system binary `image` is named after, and whether it runs from that binary's directory;
/// `None` when the name is not in [`SYSTEM_BINARIES`].
pub fn judge(image: &str) -> Option<Verdict> {
    if !looks_windows(image) {
        return None;
    }
    let norm = normalise_windows_path(image);
    let (dir, file) = norm.rsplit_once('\\').unwrap_or(("", norm.as_str()));
    let file = if file.ends_with(".exe") {
        file.to_string()
    } else {
        format!("{file}.exe")
    };
    let &(name, home) = SYSTEM_BINARIES.iter().find(|(n, _)| *n == file)?;
    let bare = !image.contains(['\\', '/']) && !image.trim().starts_with('%');
    if bare {
        return Some(Verdict::NameOnly { name });
    }
    // The directory without its drive: Windows may live on any drive, and volume paths have none.
    let undriven = match dir.as_bytes() {
        [d, b':', ..] if d.is_ascii_alphabetic() => dir.get(2..).unwrap_or(""),
        _ => dir,
    };
    if home.dirs().contains(&undriven) {
        Some(Verdict::Genuine { name })
    } else {
        Some(Verdict::Masqueraded {
            name,
            home,
            dir: if dir.is_empty() {
                "\\".to_string()
            } else {
                dir.to_string()
            },
        })
    }
}

/// `masqueraded_system_binary` or `system_binary_pubsub` for the initiating process image.
/// `classified` says the image already has a process-class signal (a shell, a LOLBin…): a genuine
/// `rundll32.exe` or `cmd.exe` is judged by that class, so the weak signal is not added twice.
pub fn score_masquerade(image: &str, classified: bool, w: &Weights) -> Option<Signal> {
    match judge(image)? {
        Verdict::Masqueraded { name, home, dir } => Some(Signal::new(
            SignalId::MasqueradedSystemBinary,
            w.masqueraded_system_binary,
            format!(
                "process `{}` is named like the Windows system binary {name} but runs from `{dir}`, \
                 not from {}: masquerading (ATT&CK T1036.005)",
                capped(image, MAX_SCORED_BYTES),
                home.describe()
            ),
        )),
        Verdict::Genuine { name } if !classified => Some(Signal::new(
            SignalId::SystemBinaryPubsub,
            w.system_binary_pubsub,
            format!(
                "the Windows system binary {name} speaks a pub/sub protocol, which it does not do \
                 by design: injected code or a hijacked service"
            ),
        )),
        Verdict::NameOnly { name } if !classified => Some(Signal::new(
            SignalId::SystemBinaryPubsub,
            w.system_binary_pubsub,
            format!(
                "a process named like the Windows system binary {name} speaks a pub/sub protocol \
                 (the source gives no directory, so masquerading cannot be told from injection)"
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn verdict(image: &str) -> Option<&'static str> {
        judge(image).map(|v| match v {
            Verdict::Masqueraded { .. } => "masqueraded",
            Verdict::Genuine { .. } => "genuine",
            Verdict::NameOnly { .. } => "name-only",
        })
    }

    #[test]
    fn normalises_every_spelling_of_the_windows_directory() {
        for (image, want) in [
            (
                r"C:\Windows\System32\svchost.exe",
                r"c:\windows\system32\svchost.exe",
            ),
            (
                r"\\?\C:\WINDOWS\system32\svchost.exe",
                r"c:\windows\system32\svchost.exe",
            ),
            (
                r"\??\C:\Windows\System32\svchost.exe",
                r"c:\windows\system32\svchost.exe",
            ),
            (
                r"\Device\HarddiskVolume3\Windows\System32\svchost.exe",
                r"\windows\system32\svchost.exe",
            ),
            (
                r"%SystemRoot%\System32\svchost.exe",
                r"c:\windows\system32\svchost.exe",
            ),
            (r"%windir%\explorer.exe", r"c:\windows\explorer.exe"),
            (
                r"\SystemRoot\System32\smss.exe",
                r"c:\windows\system32\smss.exe",
            ),
            (
                "C:/Windows/System32/svchost.exe",
                r"c:\windows\system32\svchost.exe",
            ),
            (
                r"C:\Windows\System32\..\Temp\.\svchost.exe",
                r"c:\windows\temp\svchost.exe",
            ),
            ("\"C:\\Windows\\explorer.exe\"", r"c:\windows\explorer.exe"),
        ] {
            assert_eq!(normalise_windows_path(image), want, "{image}");
        }
    }

    #[test]
    fn system_binaries_in_their_own_directories_are_genuine() {
        for image in [
            r"C:\Windows\System32\svchost.exe",
            r"C:\WINDOWS\SysWOW64\svchost.exe",
            r"D:\Windows\System32\wbem\WmiPrvSE.exe",
            r"C:\Windows\SysWOW64\wbem\.\wmiprvse.exe",
            r"\\?\C:\Windows\system32\lsass.exe",
            r"\Device\HarddiskVolume2\Windows\System32\services.exe",
            r"%SystemRoot%\system32\csrss.exe",
            r"\SystemRoot\System32\smss.exe",
            r"C:\Windows\explorer.exe",
            r"C:\Windows\SysWOW64\explorer.exe",
            "c:/windows/system32/taskhostw.exe",
            r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        ] {
            assert_eq!(verdict(image), Some("genuine"), "{image}");
        }
    }

    #[test]
    fn system_binary_names_elsewhere_are_masqueraded() {
        for image in [
            r"C:\Users\Public\Libraries\wmiprvse.exe",
            r"C:\Users\bob\AppData\Roaming\svchost.exe",
            r"C:\Windows\svchost.exe",
            r"C:\Windows\System32\wmiprvse.exe",
            r"C:\Windows\System32\explorer.exe",
            r"C:\Windows\Temp\lsass.exe",
            r"C:\ProgramData\Microsoft\rundll32.exe",
            r"\\?\C:\Windows\System32\..\Tasks\dllhost.exe",
            r"\Device\HarddiskVolume3\Users\x\conhost.exe",
            r"%APPDATA%\spoolsv.exe",
            r"C:\Windows\System32\drivers\svchost.exe",
            r"C:\Windows\System\svchost.exe",
            r"C:\Windows\System32\WindowsPowerShell\powershell.exe",
            "/tmp/svchost.exe",
            r"C:\Windows\System32 \svchost.exe",
            r"\\fileserver\share\winlogon.exe",
        ] {
            assert_eq!(verdict(image), Some("masqueraded"), "{image}");
        }
        // The real directory is in the reason.
        let s = score_masquerade(
            r"C:\Users\Public\Libraries\wmiprvse.exe",
            false,
            &Weights::default(),
        )
        .unwrap();
        assert_eq!(s.id, SignalId::MasqueradedSystemBinary);
        assert!(
            s.reason.contains(r"c:\users\public\libraries"),
            "{}",
            s.reason
        );
        assert!(s.reason.contains("System32"), "{}", s.reason);
    }

    #[test]
    fn other_names_and_unix_programs_are_not_judged() {
        for image in [
            r"C:\Program Files\Pidgin\pidgin.exe",
            r"C:\Users\bob\svchost2.exe",
            r"C:\Users\bob\svchost.exe.bak",
            "/usr/bin/explorer",
            "/usr/sbin/services",
            "mosquitto_pub",
            "",
        ] {
            assert_eq!(verdict(image), None, "{image}");
        }
        assert_eq!(verdict("svchost.exe"), Some("name-only"));
        assert_eq!(verdict("SVCHOST.EXE"), Some("name-only"));
    }

    #[test]
    fn genuine_binaries_weigh_less_and_classified_ones_are_not_counted_twice() {
        let w = Weights::default();
        let genuine = score_masquerade(r"C:\Windows\System32\svchost.exe", false, &w).unwrap();
        assert_eq!(genuine.id, SignalId::SystemBinaryPubsub);
        assert!(genuine.weight < w.masqueraded_system_binary);
        assert!(score_masquerade(r"C:\Windows\System32\rundll32.exe", true, &w).is_none());
        // A masqueraded LOLBin is masquerading whatever its class.
        let fake = score_masquerade(r"C:\Users\Public\rundll32.exe", true, &w).unwrap();
        assert_eq!(fake.id, SignalId::MasqueradedSystemBinary);
        let bare = score_masquerade("svchost.exe", false, &w).unwrap();
        assert!(bare.reason.contains("no directory"), "{}", bare.reason);
    }

    proptest! {
        #[test]
        fn never_panics(image in "\\PC{0,600}") {
            let _ = score_masquerade(&image, false, &Weights::default());
            let _ = normalise_windows_path(&image);
        }

        #[test]
        fn any_case_and_slash_gives_the_same_verdict(
            i in 0usize..SYSTEM_BINARIES.len(), upper in any::<bool>(), slash in any::<bool>(),
        ) {
            let (name, home) = SYSTEM_BINARIES[i];
            let dir = home.dirs()[0];
            let mut image = format!("C:{dir}\\{name}");
            if upper { image = image.to_ascii_uppercase(); }
            if slash { image = image.replace('\\', "/"); }
            prop_assert_eq!(verdict(&image), Some("genuine"));
            let fake = format!("C:\\Users\\Public\\{name}");
            prop_assert_eq!(verdict(&fake), Some("masqueraded"));
        }
    }
}
