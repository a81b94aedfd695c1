//! Process evidence (ATT&CK AN0002–AN0004): pub/sub traffic started by a shell, a script host, a
//! living-off-the-land binary, a generic interpreter or network tool, or by an image stored in a
//! temporary, downloads or other user-writable directory.
//!
//! Images are full paths from Windows or Unix sources (or bare names). The basename is matched case
//! insensitively with `.exe` optional; the path is matched on its normalised form (`\` turned into
//! `/`, lower case, surrounding quotes removed). Interpreters weigh less than shells and script
//! hosts because legitimate pub/sub software runs on them (Home Assistant and Celery on Python,
//! Node-RED and Zigbee2MQTT on Node; docs/names-and-payloads.md, process names). Windows system
//! binary names outside their directories are judged in [`super::masquerade`], hand-driven tools
//! with command-and-control content in [`super::tools`].

use super::masquerade::score_masquerade;
use super::{MAX_SCORED_BYTES, Signal, Weights, capped};
use crate::signal::SignalId;

/// What kind of program an image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessClass {
    Shell,
    ScriptHost,
    Interpreter,
    Lolbin,
    NetworkTool,
}

impl ProcessClass {
    fn signal_id(self) -> SignalId {
        match self {
            ProcessClass::Shell => SignalId::ProcessShell,
            ProcessClass::ScriptHost => SignalId::ProcessScriptHost,
            ProcessClass::Interpreter => SignalId::ProcessInterpreter,
            ProcessClass::Lolbin => SignalId::ProcessLolbin,
            ProcessClass::NetworkTool => SignalId::ProcessNetworkTool,
        }
    }

    fn weight(self, w: &Weights) -> f64 {
        match self {
            ProcessClass::Shell => w.process_shell,
            ProcessClass::ScriptHost => w.process_script_host,
            ProcessClass::Interpreter => w.process_interpreter,
            ProcessClass::Lolbin => w.process_lolbin,
            ProcessClass::NetworkTool => w.process_network_tool,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            ProcessClass::Shell => "a command shell",
            ProcessClass::ScriptHost => "a script host",
            ProcessClass::Interpreter => {
                "a general-purpose interpreter (legitimate pub/sub software also runs on these; \
                 check the command line)"
            }
            ProcessClass::Lolbin => "a living-off-the-land binary",
            ProcessClass::NetworkTool => "a generic network tool",
        }
    }
}

const SHELLS: &[&str] = &[
    "cmd",
    "powershell",
    "powershell_ise",
    "pwsh",
    "bash",
    "sh",
    "dash",
    "zsh",
    "ksh",
    "mksh",
    "csh",
    "tcsh",
    "fish",
    "ash",
    "busybox",
];
const SCRIPT_HOSTS: &[&str] = &["wscript", "cscript", "mshta", "osascript", "scriptrunner"];
const INTERPRETERS: &[&str] = &[
    "python",
    "pythonw",
    "py",
    "pyw",
    "node",
    "nodejs",
    "deno",
    "bun",
    "perl",
    "ruby",
    "php",
    "lua",
    "luajit",
    "tclsh",
    "wish",
    "java",
    "javaw",
    "jrunscript",
    "jjs",
];
const LOLBINS: &[&str] = &[
    "rundll32",
    "regsvr32",
    "msbuild",
    "installutil",
    "regasm",
    "regsvcs",
    "msiexec",
    "certutil",
    "bitsadmin",
    "wmic",
    "forfiles",
    "hh",
    "cmstp",
    "msxsl",
    "odbcconf",
    "mavinject",
    "pcalua",
    "control",
    "ieexec",
    "dnscmd",
    "presentationhost",
    "syncappvpublishingserver",
    "infdefaultinstall",
];
const NETWORK_TOOLS: &[&str] = &[
    "curl",
    "wget",
    "nc",
    "ncat",
    "netcat",
    "nc.openbsd",
    "nc.traditional",
    "socat",
    "telnet",
    "openssl",
    "plink",
    "ssh",
];

/// The image's basename: last component of a Windows or Unix path, lower case, `.exe` removed.
pub fn image_basename(image: &str) -> String {
    let image = capped(image, MAX_SCORED_BYTES).trim().trim_matches('"');
    let base = image.rsplit(['/', '\\']).next().unwrap_or(image);
    let lower = base.to_ascii_lowercase();
    match lower.strip_suffix(".exe") {
        Some(stem) => stem.to_string(),
        None => lower,
    }
}

/// Class of an image, from its basename. Versioned interpreter names (`python3`, `python3.11`,
/// `perl5.36`, `node18`) count as the interpreter.
pub fn classify_image(image: &str) -> Option<ProcessClass> {
    let base = image_basename(image);
    let name = base.as_str();
    let tables: [(&[&str], ProcessClass); 5] = [
        (SHELLS, ProcessClass::Shell),
        (SCRIPT_HOSTS, ProcessClass::ScriptHost),
        (LOLBINS, ProcessClass::Lolbin),
        (NETWORK_TOOLS, ProcessClass::NetworkTool),
        (INTERPRETERS, ProcessClass::Interpreter),
    ];
    for (table, class) in tables {
        if table.contains(&name) {
            return Some(class);
        }
    }
    // `python3`, `python3.11`, `pythonw3`… : an interpreter name followed by a version.
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if stem != name && INTERPRETERS.contains(&stem) {
        return Some(ProcessClass::Interpreter);
    }
    None
}

/// Where an image lives, when that place is unusual for installed software.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    Temp,
    Downloads,
    UserWritable,
}

/// Path fragments (normalised: `/`, lower case) and what they mean. First match wins, so the more
/// specific temp entries come before the broader AppData ones.
const PATH_FRAGMENTS: &[(&str, PathClass, &str)] = &[
    (
        "/appdata/local/temp/",
        PathClass::Temp,
        "the user's temporary directory",
    ),
    (
        "/windows/temp/",
        PathClass::Temp,
        "the Windows temporary directory",
    ),
    ("/temp/", PathClass::Temp, "a temp directory"),
    ("/tmp/", PathClass::Temp, "a tmp directory"),
    ("/dev/shm/", PathClass::Temp, "shared memory (/dev/shm)"),
    ("/var/tmp/", PathClass::Temp, "/var/tmp"),
    (
        "/run/user/",
        PathClass::Temp,
        "a per-user runtime directory",
    ),
    ("/downloads/", PathClass::Downloads, "a downloads directory"),
    ("/$recycle.bin/", PathClass::UserWritable, "the recycle bin"),
    (
        "/users/public/",
        PathClass::UserWritable,
        "C:\\Users\\Public",
    ),
    (
        "/appdata/roaming/",
        PathClass::UserWritable,
        "the user's roaming AppData",
    ),
    (
        "/appdata/local/",
        PathClass::UserWritable,
        "the user's local AppData",
    ),
    (
        "/programdata/",
        PathClass::UserWritable,
        "ProgramData (writable by all users)",
    ),
];

/// Per-user program installs (normalised path fragment).
const PER_USER_PROGRAMS: &str = "/appdata/local/programs/";

/// Where developers' toolchains put interpreters and the programs installed into them
/// (normalised path fragments): a project's virtual environment under its conventional names
/// (`python -m venv .venv`, Poetry, VS Code), the JDKs an IDE downloads, and the version
/// managers of Python, Node, Java, Ruby and Rust. User-writable by design, and where a developer
/// runs the code they write against a broker.
const DEVELOPER_TOOLCHAINS: &[(&str, &str)] = &[
    ("/.venv/scripts/", "a project's Python virtual environment"),
    ("/.venv/bin/", "a project's Python virtual environment"),
    ("/venv/scripts/", "a project's Python virtual environment"),
    ("/venv/bin/", "a project's Python virtual environment"),
    (
        "/pypoetry/cache/virtualenvs/",
        "a Python virtual environment Poetry manages",
    ),
    ("/.jdks/", "a JDK the IDE downloaded (~/.jdks)"),
    ("/.sdkman/candidates/", "a JDK SDKMAN installed"),
    ("/.nvm/versions/", "a Node.js nvm installed"),
    ("/appdata/roaming/nvm/", "a Node.js nvm-windows installed"),
    ("/.pyenv/", "a Python pyenv installed"),
    ("/.rbenv/versions/", "a Ruby rbenv installed"),
    ("/.rustup/toolchains/", "a Rust toolchain rustup installed"),
];

fn normalised(image: &str) -> String {
    let image = capped(image, MAX_SCORED_BYTES).trim().trim_matches('"');
    let mut norm = image.replace('\\', "/").to_ascii_lowercase();
    if !norm.starts_with('/') {
        norm.insert(0, '/'); // so `tmp/x` and `C:/…` fragments match at the start as well
    }
    norm
}

/// Where installers put interpreters for every program on the machine (normalised path
/// prefixes, after any Windows drive letter). An interpreter there is the runtime the
/// machine's programs and its owner's code run on, installed by an administrator or a package
/// manager; which program it runs is on the command line, not in the image.
const INSTALLED_RUNTIMES: &[(&str, &str)] = &[
    ("/program files/", "Program Files"),
    ("/program files (x86)/", "Program Files (x86)"),
    ("/usr/bin/", "/usr/bin (the system's packages)"),
    ("/usr/lib/jvm/", "/usr/lib/jvm (the system's packages)"),
    ("/usr/local/bin/", "/usr/local/bin"),
    ("/opt/homebrew/", "Homebrew's /opt/homebrew"),
    (
        "/library/frameworks/python.framework/",
        "the python.org installer's framework",
    ),
];

/// Where an interpreter's image says it was installed for the machine or its developer (a
/// system-wide install, a per-user installer's `AppData\Local\Programs`, a developer
/// toolchain), described, if anywhere.
fn runtime_home(image: &str) -> Option<&'static str> {
    let norm = normalised(image);
    // `/c:/program files/…` → `/program files/…`
    let bytes = norm.as_bytes();
    let rooted = match bytes {
        [b'/', drive, b':', b'/', ..] if drive.is_ascii_alphabetic() => &norm[3..],
        _ => norm.as_str(),
    };
    if let Some((_, what)) = INSTALLED_RUNTIMES
        .iter()
        .find(|(prefix, _)| rooted.starts_with(prefix))
    {
        return Some(what);
    }
    if norm.contains(PER_USER_PROGRAMS) {
        return Some("AppData\\Local\\Programs (a per-user installer)");
    }
    toolchain_of(&norm)
}

fn toolchain_of(norm: &str) -> Option<&'static str> {
    DEVELOPER_TOOLCHAINS
        .iter()
        .find(|(fragment, _)| norm.contains(fragment))
        .map(|(_, what)| *what)
}

/// The unusual place an image lives in, with a description, or `None`. A developer toolchain
/// ([`DEVELOPER_TOOLCHAINS`]) is a usual place even inside a user's profile or a hidden
/// directory; inside a temporary or downloads directory it is not.
pub fn classify_path(image: &str) -> Option<(PathClass, &'static str)> {
    let norm = normalised(image);
    // `AppData\Local\Programs` is where per-user installers put programs (Python, VS Code,
    // MQTT Explorer): user-writable, but the normal home of software installed without admin.
    if norm.contains(PER_USER_PROGRAMS) {
        return None;
    }
    let toolchain = toolchain_of(&norm).is_some();
    for (fragment, class, what) in PATH_FRAGMENTS {
        if norm.contains(fragment) {
            if toolchain && *class == PathClass::UserWritable {
                return None;
            }
            return Some((*class, what));
        }
    }
    // A hidden directory (`/home/u/.cache/x/agent`, `~/.local/bin` is common and allowed).
    let dir = norm.rsplit_once('/').map_or("", |(d, _)| d);
    let hidden = dir
        .split('/')
        .any(|c| c.len() > 1 && c.starts_with('.') && c != ".." && c != ".local" && c != ".cargo");
    if hidden && !toolchain {
        return Some((PathClass::UserWritable, "a hidden directory"));
    }
    None
}

/// Signals for the initiating process image (full path or bare name): its class, an unusual
/// place, and a Windows system binary's name outside its directory (or the genuine binary, see
/// [`super::masquerade`]).
pub fn score_process(image: &str, w: &Weights) -> Vec<Signal> {
    let shown = capped(image, MAX_SCORED_BYTES);
    let mut out = Vec::new();
    let class = classify_image(image);
    let path = classify_path(image);
    if let Some(class) = class {
        let mut reason = format!(
            "process `{}` is {}: such programs should not speak pub/sub protocols (ATT&CK DET0002)",
            image_basename(image),
            class.describe()
        );
        let mut weight = class.weight(w);
        // An interpreter installed for the machine (Program Files, /usr/bin) or in a developer's
        // toolchain is the runtime its programs and its owner's code run on, and pub/sub client
        // libraries exist for every one of them (paho-mqtt, pika, amqplib): the image says
        // which runtime, not which program. A shell, a script host or a network tool there is
        // still what it is, and a runtime in a temporary or downloads directory is nobody's
        // install.
        if class == ProcessClass::Interpreter
            && path.is_none()
            && let Some(what) = runtime_home(image)
        {
            weight = 0.0;
            reason.push_str(&format!(
                "; weight 0: it runs from {what}, an installed runtime or a developer's \
                 toolchain, which says which runtime runs, not which program (the command line \
                 does)"
            ));
        }
        out.push(Signal::new(class.signal_id(), weight, reason));
    }
    if let Some((class, what)) = path {
        let (id, weight) = match class {
            PathClass::Temp => (SignalId::ProcessInTemp, w.process_in_temp),
            PathClass::Downloads => (SignalId::ProcessInDownloads, w.process_in_downloads),
            PathClass::UserWritable => {
                (SignalId::ProcessInUserWritable, w.process_in_user_writable)
            }
        };
        out.push(Signal::new(
            id,
            weight,
            format!("process image `{shown}` runs from {what}, not from an installed location"),
        ));
    }
    out.extend(score_masquerade(image, class.is_some(), w));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(image: &str) -> Vec<&'static str> {
        score_process(image, &Weights::default())
            .iter()
            .map(|s| s.id.as_str())
            .collect()
    }

    #[test]
    fn basenames() {
        assert_eq!(
            image_basename(r"C:\Windows\System32\WindowsPowerShell\v1.0\PowerShell.EXE"),
            "powershell"
        );
        assert_eq!(image_basename("/usr/bin/python3.11"), "python3.11");
        assert_eq!(
            image_basename("\"C:\\Program Files\\x\\mosquitto_pub.exe\""),
            "mosquitto_pub"
        );
        assert_eq!(image_basename("nc"), "nc");
        assert_eq!(image_basename(""), "");
    }

    #[test]
    fn classes() {
        use ProcessClass::*;
        let cases = [
            (
                r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                Some(Shell),
            ),
            ("pwsh", Some(Shell)),
            (r"C:\Windows\System32\CMD.EXE", Some(Shell)),
            ("/bin/bash", Some(Shell)),
            (r"C:\Windows\System32\wscript.exe", Some(ScriptHost)),
            (r"C:\Windows\SysWOW64\mshta.exe", Some(ScriptHost)),
            ("/usr/bin/osascript", Some(ScriptHost)),
            (r"C:\Windows\System32\rundll32.exe", Some(Lolbin)),
            ("regsvr32", Some(Lolbin)),
            ("/usr/bin/curl", Some(NetworkTool)),
            ("/usr/bin/ncat", Some(NetworkTool)),
            ("socat", Some(NetworkTool)),
            (r"C:\Python311\python.exe", Some(Interpreter)),
            ("/usr/bin/python3", Some(Interpreter)),
            ("/usr/local/bin/python3.12", Some(Interpreter)),
            ("/usr/bin/node", Some(Interpreter)),
            ("/usr/sbin/mosquitto", None),
            (r"C:\Program Files\Pidgin\pidgin.exe", None),
            ("/usr/bin/shellcheck", None),
            ("bashful", None),
        ];
        for (image, want) in cases {
            assert_eq!(classify_image(image), want, "{image}");
        }
    }

    #[test]
    fn unusual_paths() {
        assert_eq!(
            ids(r"C:\Users\bob\AppData\Local\Temp\svc.exe"),
            ["process_in_temp"]
        );
        assert_eq!(
            ids(r"C:\Users\bob\Downloads\invoice.exe"),
            ["process_in_downloads"]
        );
        assert_eq!(ids("/tmp/.x/agent"), ["process_in_temp"]);
        assert_eq!(ids("/dev/shm/kworker"), ["process_in_temp"]);
        assert_eq!(ids("/var/tmp/upd"), ["process_in_temp"]);
        assert_eq!(ids(r"C:\Users\Public\m.exe"), ["process_in_user_writable"]);
        assert_eq!(
            ids(r"C:\Users\bob\AppData\Roaming\Zoomer\z.exe"),
            ["process_in_user_writable"]
        );
        assert_eq!(
            ids("/home/bob/.cache/sys/updater"),
            ["process_in_user_writable"]
        );
        assert!(ids("/home/bob/.local/bin/mosquitto_sub").is_empty());
        // Per-user installs are where such software lives; only the class is judged.
        assert!(
            ids(r"C:\Users\bob\AppData\Local\Programs\mqtt-explorer\MQTT Explorer.exe").is_empty()
        );
        assert_eq!(
            ids(r"C:\Users\bob\AppData\Local\Programs\Python\Python312\python.exe"),
            ["process_interpreter"]
        );
        assert!(ids(r"C:\Program Files\mosquitto\mosquitto_pub.exe").is_empty());
        assert!(ids("/usr/sbin/mosquitto").is_empty());
        // A developer's toolchain in the profile or a hidden directory is a usual place; in a
        // temporary directory it is not.
        assert!(ids(r"C:\Users\bob\src\orders\.venv\Scripts\celery.exe").is_empty());
        assert!(ids("/home/bob/.pyenv/versions/3.12.1/bin/gunicorn").is_empty());
        assert_eq!(
            ids(r"C:\Users\bob\AppData\Local\Temp\x\.venv\Scripts\celery.exe"),
            ["process_in_temp"]
        );
        assert_eq!(
            ids(r"C:\Users\bob\AppData\Roaming\Zoomer\.venv\x\z.exe"),
            ["process_in_user_writable"],
            "a virtual environment's programs are in Scripts or bin"
        );
        // Both a class and a path.
        assert_eq!(
            ids(r"C:\Users\bob\AppData\Local\Temp\python.exe"),
            ["process_interpreter", "process_in_temp"]
        );
        assert_eq!(
            ids("/tmp/python3"),
            ["process_interpreter", "process_in_temp"]
        );
    }

    #[test]
    fn installed_interpreters_weigh_nothing() {
        let w = Weights::default();
        for image in [
            r"C:\Program Files\nodejs\node.exe",
            r"D:\Program Files (x86)\Python38-32\python.exe",
            r"C:\Users\bob\AppData\Local\Programs\Python\Python312\python.exe",
            "/usr/bin/python3",
            "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
            "/opt/homebrew/bin/node",
        ] {
            let s = score_process(image, &w);
            assert_eq!(s.len(), 1, "{image}: {s:?}");
            assert_eq!(s[0].id, SignalId::ProcessInterpreter, "{image}");
            assert_eq!(s[0].weight, 0.0, "{image}");
            assert!(
                s[0].reason.contains("an installed runtime"),
                "{}",
                s[0].reason
            );
        }
        // Anywhere else it keeps its weight; so does a shell or a network tool installed there.
        for image in [
            r"C:\tools\python.exe",
            r"C:\Users\bob\AppData\Local\Temp\python\pythonw.exe",
            "python3",
            "/home/bob/bin/node",
        ] {
            let s = score_process(image, &w);
            assert_eq!(s[0].weight, w.process_interpreter, "{image}");
        }
        assert_eq!(
            score_process("/usr/bin/socat", &w)[0].weight,
            w.process_network_tool
        );
        let pwsh = score_process(r"C:\Program Files\PowerShell\7\pwsh.exe", &w);
        assert_eq!(pwsh[0].weight, w.process_shell);
    }

    #[test]
    fn interpreters_in_a_developer_toolchain_weigh_nothing() {
        let w = Weights::default();
        for image in [
            r"C:\Users\bob\src\orders-api\.venv\Scripts\python.exe",
            r"C:\Users\bob\.jdks\temurin-21.0.2\bin\java.exe",
            "/home/bob/proj/venv/bin/python3",
            "/home/bob/.nvm/versions/node/v20.11.0/bin/node",
        ] {
            let s = score_process(image, &w);
            assert_eq!(s.len(), 1, "{image}: {s:?}");
            assert_eq!(s[0].id, SignalId::ProcessInterpreter, "{image}");
            assert_eq!(s[0].weight, 0.0, "{image}");
            assert!(
                s[0].reason.contains("a developer's toolchain"),
                "{}",
                s[0].reason
            );
        }
        // The same interpreter anywhere else keeps its weight, and so does a shell in a venv.
        let s = score_process(r"C:\Users\bob\AppData\Roaming\py\python.exe", &w);
        assert_eq!(s[0].weight, w.process_interpreter);
        let s = score_process(
            r"C:\Users\bob\AppData\Local\Temp\.venv\Scripts\python.exe",
            &w,
        );
        assert_eq!(s[0].weight, w.process_interpreter);
        let s = score_process("/home/bob/proj/.venv/bin/bash", &w);
        assert_eq!(s[0].weight, w.process_shell);
    }

    #[test]
    fn reasons_name_the_program() {
        let s = score_process(r"C:\Windows\System32\rundll32.exe", &Weights::default());
        assert_eq!(s[0].weight, Weights::default().process_lolbin);
        assert!(s[0].reason.contains("`rundll32`"), "{}", s[0].reason);
    }

    #[test]
    fn system_binary_names_are_judged_by_their_place() {
        assert_eq!(
            ids(r"C:\Users\Public\Libraries\wmiprvse.exe"),
            ["process_in_user_writable", "masqueraded_system_binary"]
        );
        assert_eq!(
            ids(r"\Device\HarddiskVolume3\Windows\System32\wbem\WmiPrvSE.exe"),
            ["system_binary_pubsub"]
        );
        // A genuine LOLBin is judged as a LOLBin only; a masqueraded one as both.
        assert_eq!(ids(r"C:\Windows\System32\rundll32.exe"), ["process_lolbin"]);
        assert_eq!(
            ids(r"C:\Windows\Temp\rundll32.exe"),
            [
                "process_lolbin",
                "process_in_temp",
                "masqueraded_system_binary"
            ]
        );
    }

    proptest! {
        #[test]
        fn never_panics(image in ".{0,1500}") {
            let _ = score_process(&image, &Weights::default());
        }
    }
}
