//! The table's cells: what each column shows for one alert, and how a cell is shortened when
//! the terminal is narrow. Addresses and ports are never cut; names and process paths are cut
//! only at a token boundary (a path separator, a dot, a dash), with an ellipsis where text was
//! left out, so what remains is always a whole token a hunter can search for.

use pubsub_hunt_core::time::format_rfc3339;
use pubsub_hunt_core::{Alert, SignalId};
use std::net::IpAddr;
use unicode_width::UnicodeWidthStr;

/// The ellipsis marking left-out text (one column wide).
pub const ELLIPSIS: &str = "…";

/// Display width of `s` in terminal columns.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// The short id shown in the table: the first 8 of the id's 16 hex digits (`explain` takes any
/// unique prefix).
pub fn short_id(a: &Alert) -> String {
    a.id.chars().take(8).collect()
}

/// `address:port`, IPv6 in brackets.
pub fn address_port(ip: IpAddr, port: u16) -> String {
    if ip.is_ipv6() {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// The name a hunter knows the destination by: the log's own name for it, else the name the
/// client asked for in the session (TLS SNI, XMPP stream `to`); `None` when there is none.
pub fn destination_name(a: &Alert) -> Option<&str> {
    a.destination_names
        .first()
        .or_else(|| a.app.as_ref().and_then(|app| app.server_names.first()))
        .map(String::as_str)
        .filter(|n| !n.is_empty())
}

/// Keeps the end of `s` (the most specific part of a path, the registrable part of a domain
/// name) within `max` columns: the longest tail that starts right after one of `seps`, behind an
/// ellipsis. Falls back to [`keep_head`] when even the last token does not fit.
pub fn keep_tail(s: &str, max: usize, seps: &[char]) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let best = s
        .char_indices()
        .filter(|(_, c)| seps.contains(c))
        .map(|(i, _)| &s[i..])
        .find(|tail| width(tail) + width(ELLIPSIS) <= max);
    match best {
        Some(tail) => format!("{ELLIPSIS}{tail}"),
        None => {
            let last = s.rsplit(seps).next().unwrap_or(s);
            keep_head(last, max, &['.', '-', '_', ' '])
        }
    }
}

/// Keeps the start of `s` within `max` columns, cut right before one of `seps`, behind which
/// an ellipsis stands. A name with no boundary early enough is cut at a character (the only
/// way left to keep one line), still marked by the ellipsis.
pub fn keep_head(s: &str, max: usize, seps: &[char]) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let room = max.saturating_sub(width(ELLIPSIS));
    let cut = s
        .char_indices()
        .rev()
        .find(|(i, c)| seps.contains(c) && *i > 0 && width(&s[..*i]) <= room)
        .map(|(i, _)| i);
    let head = match cut {
        Some(i) => &s[..i],
        None => {
            let mut end = 0;
            for (i, c) in s.char_indices() {
                if width(&s[..i + c.len_utf8()]) > room {
                    break;
                }
                end = i + c.len_utf8();
            }
            &s[..end]
        }
    };
    format!("{head}{ELLIPSIS}")
}

/// The host cell: an address as it is; a name, shortened from its end at a label boundary.
pub fn host(a: &Alert, max: Option<usize>) -> String {
    match max {
        Some(m) if a.host.parse::<IpAddr>().is_err() => keep_head(&a.host, m, &['.', '-', '_']),
        _ => a.host.clone(),
    }
}

/// The process cell: the image path, shortened to its last path components.
pub fn process(a: &Alert, max: Option<usize>) -> String {
    match (&a.process, max) {
        (None, _) => "-".to_string(),
        (Some(p), None) => p.clone(),
        (Some(p), Some(m)) => keep_tail(p, m, &['\\', '/']),
    }
}

/// The destination cell: `name:port` when the destination has a name (the name shortened to
/// its last labels), else `address:port`, never shortened.
pub fn destination(a: &Alert, max_name: Option<usize>) -> String {
    match destination_name(a) {
        Some(name) => {
            let name = match max_name {
                Some(m) => keep_tail(name, m, &['.']),
                None => name.to_string(),
            };
            format!("{name}:{}", a.dst_port)
        }
        None => address_port(a.dst_ip, a.dst_port),
    }
}

/// `MM-DD HH:MM` of an RFC 3339 time (the year is in the footer's time span).
fn month_minute(t: i64) -> String {
    let s = format_rfc3339(t);
    // `YYYY-MM-DDTHH:MM:SS…Z`: ASCII, so byte slicing is character slicing.
    s.get(5..16).map_or(s.clone(), |m| m.replacen('T', " ", 1))
}

/// The first and last connection, to the minute: `11-02 08:00→11-03 07:55`, the second date
/// left out when it is the first's.
pub fn seen(a: &Alert) -> String {
    match (a.first_seen, a.last_seen) {
        (None, None) => "-".to_string(),
        (Some(t), None) | (None, Some(t)) => month_minute(t),
        (Some(f), Some(l)) => {
            let (f, l) = (month_minute(f), month_minute(l));
            if f == l {
                f
            } else if f.get(..5) == l.get(..5) {
                format!("{f}→{}", l.get(6..).unwrap_or(&l))
            } else {
                format!("{f}→{l}")
            }
        }
    }
}

/// A signal's short name: its id with the long words abbreviated (`process_shell` →
/// `proc-shell`, `c2_vocabulary` → `c2-vocab`), derived from the id so a new signal needs no
/// entry here.
pub fn short_signal(id: SignalId) -> String {
    id.as_str()
        .split('_')
        .map(|w| match w {
            "process" => "proc",
            "payload" => "pay",
            "vocabulary" => "vocab",
            "message" => "msg",
            "destination" => "dst",
            "wildcard" => "wild",
            "token" => "tok",
            "pattern" => "pat",
            "command" => "cmd",
            "binary" => "bin",
            "telemetry" => "telem",
            "encoded" => "enc",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The `n` signals that moved the score most, strongest first: `beacon+15 proc-shell+10`.
pub fn signals(a: &Alert, n: usize) -> String {
    let mut v: Vec<(SignalId, f64)> = a
        .signals
        .iter()
        .map(|(id, w)| (*id, *w))
        .filter(|(_, w)| w.abs() >= 0.5)
        .collect();
    // Strongest first; ties in id order, so the same alert always reads the same.
    v.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()).then(x.0.cmp(&y.0)));
    let shown: Vec<String> = v
        .iter()
        .take(n)
        .map(|(id, w)| format!("{}{:+.0}", short_signal(*id), w))
        .collect();
    if shown.is_empty() {
        "-".to_string()
    } else if v.len() > n {
        format!("{} {ELLIPSIS}", shown.join(" "))
    } else {
        shown.join(" ")
    }
}

/// Splits `text` into lines of at most `max` columns at spaces; a word longer than a line
/// (an address, a path) stays whole on its own line rather than being broken.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && width(&cur) + 1 + width(word) > max {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_keep_whole_path_components() {
        let p = r"C:\Users\bob\AppData\Local\Temp\svc.exe";
        assert_eq!(keep_tail(p, 100, &['\\', '/']), p);
        let s = keep_tail(p, 16, &['\\', '/']);
        assert_eq!(s, r"…\Temp\svc.exe");
        assert!(width(&s) <= 16);
        let s = keep_tail("/usr/lib/python3/site-packages/x.py", 12, &['/']);
        assert_eq!(s, "…/x.py");
    }

    #[test]
    fn heads_cut_at_a_label_and_say_so() {
        assert_eq!(
            keep_head("desktop-7h3k.corp.example.com", 14, &['.', '-']),
            "desktop-7h3k…"
        );
        // No boundary early enough: cut at a character, still marked.
        let s = keep_head("averyveryverylongname", 8, &['.']);
        assert_eq!(s, "averyve…");
        assert_eq!(width(&s), 8);
    }

    #[test]
    fn names_keep_their_registrable_end() {
        assert_eq!(
            keep_tail("broker.c2.badness.example.net", 16, &['.']),
            "….example.net"
        );
    }

    #[test]
    fn wrapping_never_breaks_a_word() {
        let lines = wrap("to 2001:db8::1234:5678:9abc:def0:1 on port 1883", 10);
        assert!(lines.contains(&"2001:db8::1234:5678:9abc:def0:1".to_string()));
        assert!(lines.iter().all(|l| !l.starts_with(' ')));
    }

    #[test]
    fn signal_names_are_short_and_derived() {
        assert_eq!(short_signal(SignalId::ProcessShell), "proc-shell");
        assert_eq!(short_signal(SignalId::C2Vocabulary), "c2-vocab");
        assert_eq!(short_signal(SignalId::Beacon), "beacon");
    }
}
