//! Payload bytes: what a message payload looks like, judged from its bytes alone — its Shannon
//! entropy and its [`payload_traits`] (a Fernet token, one base64/base32/hex body, a long quoted
//! base64 string, host data or a discovery command). The data model (`app::AppInfo::add_message`) records both per message so the
//! analytics can judge payloads after the bytes are gone; the payload scorer
//! (`behaviour::payloads`) turns the same detectors into explained signals.
//!
//! A leaf: pure functions on bytes, importing nothing from the crate but the other leaf,
//! [`crate::readings`]. Only the first
//! [`MAX_PAYLOAD_SCAN`] bytes of a payload are examined, so the cost per message is fixed.

/// Bytes of a payload that are examined (the start of longer payloads: the opening 16 KiB of an
/// encrypted or encoded body look like the rest, and the cap keeps the cost per message fixed).
pub const MAX_PAYLOAD_SCAN: usize = 16 * 1024;

/// Shannon entropy in bits per symbol of a byte string (0 for an empty one).
pub fn byte_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Shannon entropy of `data` in bits per byte (0 for empty input), as kept per message.
pub fn shannon_entropy(data: &[u8]) -> f32 {
    byte_entropy(data) as f32
}

/// Both hex letters (or any letters) and digits occur: decimal serials and timestamps, or words,
/// are not taken for hex of random bytes.
pub(crate) fn mixes_hex_letters_and_digits(s: &str) -> bool {
    s.bytes().any(|c| c.is_ascii_digit()) && s.bytes().any(|c| c.is_ascii_alphabetic())
}

fn is_b64_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_')
}

/// What a payload's bytes look like, kept per message (one byte) so the analytics can judge
/// payloads after the bytes are gone.
pub mod payload_traits {
    /// A Fernet token (`gAAAAA…`) somewhere in the payload.
    pub const FERNET: u8 = 1;
    /// The payload is one base64, base32 or hex body.
    pub const ENCODED: u8 = 2;
    /// The payload carries a long quoted base64 string (JSON with an encoded field).
    pub const EMBEDDED_BASE64: u8 = 4;
    /// The payload carries host data (the user with the host or OS, or a system survey's output)
    /// or is a host discovery command: see [`super::host_data`].
    pub const HOST_DATA: u8 = 8;
    /// The payload is a JSON object of numeric readings and nothing else (no text):
    /// see [`crate::readings::is_numeric_readings`].
    pub const READINGS: u8 = 16;
}

/// The [`payload_traits`] of a payload (its first [`MAX_PAYLOAD_SCAN`] bytes).
pub fn payload_traits(payload: &[u8]) -> u8 {
    let body = payload.get(..MAX_PAYLOAD_SCAN).unwrap_or(payload);
    let mut t = 0;
    if find_fernet(body).is_some() {
        t |= payload_traits::FERNET;
    }
    if encoded_body(body).is_some() {
        t |= payload_traits::ENCODED;
    } else if longest_quoted_base64(body).is_some() {
        t |= payload_traits::EMBEDDED_BASE64;
    }
    if host_data(body).is_some() {
        t |= payload_traits::HOST_DATA;
    }
    if crate::readings::is_numeric_readings(body) {
        t |= payload_traits::READINGS;
    }
    t
}

/// Bytes of a payload searched for host data: a host survey is short, and what follows its first
/// kilobytes is more of the same.
const MAX_HOST_DATA_SCAN: usize = 4096;

/// Commands an operator or an implant runs first to learn where it is (the payload is the
/// command line): who am I, which host, which system, which network.
const DISCOVERY_COMMANDS: &[&str] = &[
    "whoami",
    "hostname",
    "uname",
    "ipconfig",
    "ifconfig",
    "systeminfo",
    "tasklist",
    "quser",
    "nltest",
    "sw_vers",
    "getmac",
    "netstat",
];
/// Discovery command lines too short or too common as words to match by their first word.
const DISCOVERY_LINES: &[&str] = &[
    "id",
    "id -a",
    "net user",
    "net localgroup administrators",
    "ip a",
    "ip addr",
    "cat /etc/passwd",
    "cat /etc/os-release",
    "query user",
];
/// Text only a system survey prints: `uname -a`, `id`, `whoami`, `ver`, `systeminfo`, `sw_vers`.
/// Every fragment of an entry must occur (lower case).
const SURVEY_OUTPUTS: &[(&[&str], &str)] = &[
    (&["gnu/linux"], "`uname -a` output"),
    (&["darwin kernel version"], "`uname -a` output"),
    (&["uid=", "gid=", "groups="], "`id` output"),
    (&["nt authority\\"], "`whoami` output"),
    (&["microsoft windows [version"], "`ver` output"),
    (&["host name:", "os name:"], "`systeminfo` output"),
    (&["productname:", "productversion:"], "`sw_vers` output"),
];

/// Kinds of host data a key names. A user name with the host or the system is what a host survey
/// sends; telemetry names its host and system, but not the account it runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostKey {
    Host,
    User,
    System,
    Network,
}

/// Keys (`key=`, `key:`, `"key":`) naming host data, by kind.
const HOST_KEYS: &[(&str, HostKey)] = &[
    ("hostname", HostKey::Host),
    ("host", HostKey::Host),
    ("computername", HostKey::Host),
    ("computer", HostKey::Host),
    ("machine", HostKey::Host),
    ("machinename", HostKey::Host),
    ("user", HostKey::User),
    ("username", HostKey::User),
    ("user_name", HostKey::User),
    ("userid", HostKey::User),
    ("whoami", HostKey::User),
    ("login", HostKey::User),
    ("account", HostKey::User),
    ("os", HostKey::System),
    ("osname", HostKey::System),
    ("os_name", HostKey::System),
    ("osversion", HostKey::System),
    ("os_version", HostKey::System),
    ("platform", HostKey::System),
    ("kernel", HostKey::System),
    ("uname", HostKey::System),
    ("arch", HostKey::System),
    ("ip", HostKey::Network),
    ("ipaddr", HostKey::Network),
    ("ip_address", HostKey::Network),
    ("local_ip", HostKey::Network),
    ("localip", HostKey::Network),
    ("mac", HostKey::Network),
    ("domain", HostKey::Network),
];

/// Why a payload reads as host data, or `None`: it is a discovery command line
/// ([`DISCOVERY_COMMANDS`], [`DISCOVERY_LINES`]), holds a system survey's output
/// ([`SURVEY_OUTPUTS`]), or has keys naming the user together with the host or the system
/// ([`HOST_KEYS`]).
pub fn host_data(payload: &[u8]) -> Option<&'static str> {
    let body = payload.get(..MAX_HOST_DATA_SCAN).unwrap_or(payload);
    // Host data is text: binary and encrypted payloads (most of what is not) are passed over
    // without copying them.
    let printable = body
        .iter()
        .filter(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
        .count();
    if body.is_empty() || printable * 10 < body.len() * 9 {
        return None;
    }
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    let line = text.trim();
    if line.len() <= 200 && !line.contains('\n') {
        let first = line.split_whitespace().next().unwrap_or("");
        let first = first.strip_suffix(".exe").unwrap_or(first);
        if DISCOVERY_COMMANDS.contains(&first) || DISCOVERY_LINES.contains(&line) {
            return Some("a host discovery command");
        }
    }
    for (fragments, what) in SURVEY_OUTPUTS {
        if fragments.iter().all(|f| text.contains(f)) {
            return Some(what);
        }
    }
    let mut kinds: Vec<HostKey> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let word_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        if !word_char(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && word_char(bytes[i]) {
            i += 1;
        }
        let word = text.get(start..i).unwrap_or("");
        let mut j = i;
        while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b' ') {
            j += 1;
        }
        if matches!(bytes.get(j), Some(b':' | b'='))
            && let Some((_, kind)) = HOST_KEYS.iter().find(|(k, _)| *k == word)
            && !kinds.contains(kind)
        {
            kinds.push(*kind);
        }
    }
    let user = kinds.contains(&HostKey::User);
    (user && (kinds.contains(&HostKey::Host) || kinds.contains(&HostKey::System)))
        .then_some("the user with the host or system")
}

/// Byte offset of the first Fernet token (`gAAAAA` followed by at least 60 base64 characters).
pub(crate) fn find_fernet(body: &[u8]) -> Option<usize> {
    const PREFIX: &[u8] = b"gAAAAA";
    let mut start = 0;
    while let Some(rest) = body.get(start..) {
        let pos = rest.windows(PREFIX.len()).position(|w| w == PREFIX)?;
        let at = start + pos;
        let run = body.get(at..).map_or(0, |tail| {
            tail.iter()
                .take_while(|&&c| is_b64_byte(c) || c == b'=')
                .count()
        });
        // A Fernet token is at least 57 bytes (73 base64 characters) before any plaintext.
        if run >= 60 {
            return Some(at);
        }
        start = at + 1;
    }
    None
}

/// `Some("base64" | "base32" | "hex")` when the trimmed body is one encoded string of at least 24
/// characters.
pub(crate) fn encoded_body(body: &[u8]) -> Option<&'static str> {
    let text = std::str::from_utf8(body).ok()?.trim();
    // Encodings of data mix many symbols (hex of random bytes ≈ 4 bits/char, base64 ≈ 6): a
    // run of one letter or a short word repeated is not an encoded body.
    if text.len() < 24 || byte_entropy(text.as_bytes()) < 3.0 {
        return None;
    }
    if text.len() % 2 == 0
        && text.bytes().all(|c| c.is_ascii_hexdigit())
        && mixes_hex_letters_and_digits(text)
    {
        return Some("hex");
    }
    let unpadded = text.trim_end_matches('=');
    if text.len() - unpadded.len() > 6 || !unpadded.bytes().all(is_b64_byte) {
        return None;
    }
    if unpadded
        .bytes()
        .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
    {
        return Some("base32");
    }
    let upper = unpadded.bytes().filter(|c| c.is_ascii_uppercase()).count();
    let lower = unpadded.bytes().filter(|c| c.is_ascii_lowercase()).count();
    let digits = unpadded.bytes().filter(|c| c.is_ascii_digit()).count();
    // Base64 of binary data mixes all three classes; prose without spaces does not.
    if upper * 10 >= unpadded.len() && lower * 10 >= unpadded.len() && digits > 0 {
        return Some("base64");
    }
    None
}

/// Length of the longest `"…"` string of at least 40 base64 characters (mixed case and digits).
pub(crate) fn longest_quoted_base64(body: &[u8]) -> Option<usize> {
    let mut best = 0usize;
    for part in body.split(|&c| c == b'"') {
        if part.len() >= 40 && part.len() > best {
            let inner = part
                .iter()
                .rposition(|&c| c != b'=')
                .map_or(part, |p| part.get(..=p).unwrap_or(part));
            if inner.iter().all(|&c| is_b64_byte(c))
                && inner.iter().any(u8::is_ascii_uppercase)
                && inner.iter().any(u8::is_ascii_lowercase)
                && inner.iter().any(u8::is_ascii_digit)
            {
                best = part.len();
            }
        }
    }
    (best > 0).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_known_strings() {
        assert_eq!(byte_entropy(b""), 0.0);
        assert_eq!(byte_entropy(b"aaaa"), 0.0);
        assert!((byte_entropy(b"abab") - 1.0).abs() < 1e-12);
        let all: Vec<u8> = (0..=255u8).collect();
        assert!((byte_entropy(&all) - 8.0).abs() < 1e-12);
    }

    #[test]
    fn host_data_is_a_survey_not_telemetry() {
        for (payload, why) in [
            (
                &b"host=ws-1;user=root;os=linux"[..],
                "the user with the host or system",
            ),
            (
                br#"{"hostname": "WS-FIN-07", "username": "ebrown", "os": "Windows 10"}"#,
                "the user with the host or system",
            ),
            (
                b"USER: bob\nPLATFORM: darwin",
                "the user with the host or system",
            ),
            (
                b"ws-1|root|Linux ws-1 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux",
                "`uname -a` output",
            ),
            (b"uid=0(root) gid=0(root) groups=0(root)", "`id` output"),
            (b"nt authority\\system", "`whoami` output"),
            (
                b"Microsoft Windows [Version 10.0.19045.3693]",
                "`ver` output",
            ),
            (b"whoami", "a host discovery command"),
            (b" uname -a\n", "a host discovery command"),
            (b"ipconfig.exe /all", "a host discovery command"),
            (b"id", "a host discovery command"),
            (b"net user", "a host discovery command"),
        ] {
            assert_eq!(
                host_data(payload),
                Some(why),
                "{}",
                String::from_utf8_lossy(payload)
            );
            assert_ne!(payload_traits(payload) & payload_traits::HOST_DATA, 0);
        }
        for payload in [
            &b"21.5"[..],
            br#"{"temperature": 21.5, "host": "gw-1", "os": "linux", "ip": "10.0.0.7"}"#,
            br#"{"tags": {"host": "db-1"}, "fields": {"load1": 0.2}}"#,
            b"the user said hello from her host",
            b"identity",
            b"whoamI am is not a command\nsecond line",
            b"",
            &[0xff, 0xfe, 0x00, 0x75, 0x73, 0x65, 0x72, 0x3d],
        ] {
            assert_eq!(
                host_data(payload),
                None,
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
    }

    #[test]
    fn entropy_bounds() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        let all: Vec<u8> = (0..=255).collect();
        assert!((shannon_entropy(&all) - 8.0).abs() < 1e-6);
    }
}
