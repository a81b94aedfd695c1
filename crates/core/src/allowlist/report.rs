//! The default list in words, for people and for other programs: grouped by class (consecutive
//! entries with the same reason and the same evidence absorbed: one entry per port or per server
//! is one class), as text (`pubsub-hunt config defaults`, `rules show`, the rule exports' headers),
//! as a Markdown table (the README and docs/allowlist.md carry it, and a test keeps them equal to
//! it) and as one JSON object per entry.

use super::entry::AllowEntry;
use super::explain::Explains;
use crate::protocol::Protocol;
use serde::Serialize;
use std::fmt::Write;

/// Consecutive default entries of one class.
#[derive(Debug, Clone)]
pub struct DefaultGroup<'a> {
    /// 1-based position of the first entry in the list.
    pub first: usize,
    pub entries: Vec<&'a AllowEntry>,
}

impl DefaultGroup<'_> {
    pub fn reason(&self) -> &str {
        self.entries.first().map_or("", |e| e.reason.as_str())
    }

    /// The entry numbers: `4` or `1-3`.
    pub fn numbers(&self) -> String {
        let last = self.first + self.entries.len().saturating_sub(1);
        if last == self.first {
            self.first.to_string()
        } else {
            format!("{}-{last}", self.first)
        }
    }

    /// What the entries match: `server_name *.push.apple.com; port 5223, 443 or 2197` when they
    /// are every combination of those values (one entry per port, one per server), otherwise
    /// each entry's conditions, separated by ` / `.
    pub fn matches(&self) -> String {
        let conds: Vec<Vec<(&'static str, String)>> =
            self.entries.iter().map(|e| e.conditions()).collect();
        let Some(keys) = conds
            .first()
            .map(|c| c.iter().map(|(k, _)| *k).collect::<Vec<_>>())
        else {
            return String::new();
        };
        let same_keys = conds
            .iter()
            .all(|c| c.iter().map(|(k, _)| *k).eq(keys.iter().copied()));
        let mut values: Vec<Vec<&str>> = vec![Vec::new(); keys.len()];
        for c in &conds {
            for (i, (_, v)) in c.iter().enumerate() {
                if let Some(list) = values.get_mut(i)
                    && !list.contains(&v.as_str())
                {
                    list.push(v);
                }
            }
        }
        let combinations: usize = values.iter().map(Vec::len).product();
        if !same_keys || combinations != conds.len() {
            return self
                .entries
                .iter()
                .map(|e| e.describe())
                .collect::<Vec<_>>()
                .join(" / ");
        }
        keys.iter()
            .zip(&values)
            .map(|(k, vs)| format!("{k} {}", or_list(vs)))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// What the entries may absorb: `beacon, message_beacon (always)`, or `nothing`.
    pub fn explains(&self) -> String {
        let sets: &[Explains] = self.entries.first().map_or(&[], |e| e.explains.as_slice());
        if sets.is_empty() {
            return "nothing".to_string();
        }
        sets.iter()
            .map(Explains::describe)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [one] => (*one).to_string(),
        [head @ .., last] => format!("{} or {last}", head.join(", ")),
    }
}

/// The list grouped by class, in order.
pub fn default_groups(list: &[AllowEntry]) -> Vec<DefaultGroup<'_>> {
    let mut out: Vec<DefaultGroup<'_>> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        match out.last_mut() {
            Some(g)
                if g.entries
                    .first()
                    .is_some_and(|f| f.reason == e.reason && f.explains == e.explains) =>
            {
                g.entries.push(e)
            }
            _ => out.push(DefaultGroup {
                first: i + 1,
                entries: vec![e],
            }),
        }
    }
    out
}

/// The list as text, one class per paragraph: numbers and reason, then what it matches and what
/// it may absorb.
pub fn render_text(list: &[AllowEntry]) -> String {
    let mut s = String::new();
    for g in default_groups(list) {
        let _ = writeln!(s, "{:>6}  {}", g.numbers(), g.reason());
        let _ = writeln!(s, "        matches  {}", g.matches());
        let _ = writeln!(s, "        absorbs  {}", g.explains());
    }
    s
}

/// Markdown-safe cell text: no pipes, no line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The list as a Markdown table (entries, reason, what it matches, what it may absorb).
pub fn render_markdown(list: &[AllowEntry]) -> String {
    let mut s = String::from(
        "| entries | class (reason) | matches | absorbs (signals, when) |\n|---|---|---|---|\n",
    );
    for g in default_groups(list) {
        let explains = g
            .entries
            .first()
            .map(|e| {
                e.explains
                    .iter()
                    .map(|x| {
                        let ids: Vec<String> =
                            x.signals.iter().map(|id| format!("`{id}`")).collect();
                        format!("{} ({})", ids.join(", "), x.condition())
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "nothing".to_string());
        let _ = writeln!(
            s,
            "| {} | {} | `{}` | {} |",
            g.numbers(),
            cell(g.reason()),
            cell(&g.matches()),
            cell(&explains)
        );
    }
    s
}

/// The line before the generated table in the README and docs/allowlist.md.
pub const DOC_TABLE_BEGIN: &str = "<!-- default-allowlist: generated by `pubsub-hunt config defaults --format markdown`; a test keeps it equal to the code -->";

/// The line after it.
pub const DOC_TABLE_END: &str = "<!-- end default-allowlist -->";

/// One default entry as JSON: its number, reason, every condition it sets, and what it may absorb.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView<'a> {
    pub number: usize,
    pub reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// The destination must be inside the configured internal networks.
    pub destination_internal: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_prefix: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id_prefix: Option<&'a str>,
    /// The entry's conditions in words, as alerts quote them.
    pub matches: String,
    pub explains: &'a [Explains],
}

impl<'a> EntryView<'a> {
    pub fn of(number: usize, e: &'a AllowEntry) -> EntryView<'a> {
        EntryView {
            number,
            reason: &e.reason,
            process: e.process.as_deref(),
            host: e.host.as_deref(),
            destination: e.destination.map(|n| n.to_string()),
            destination_internal: e.internal_only,
            port: e.port,
            protocol: e.protocol,
            server_name: e.server_name.as_deref(),
            topic_prefix: e.topic_prefix.as_deref(),
            client_id_prefix: e.client_id_prefix.as_deref(),
            matches: e.describe(),
            explains: &e.explains,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowlist::default_allowlist;

    #[test]
    fn groups_cover_every_entry_once_and_summarise_combinations() {
        let list = default_allowlist();
        let groups = default_groups(&list);
        assert_eq!(
            groups.iter().map(|g| g.entries.len()).sum::<usize>(),
            list.len()
        );
        let apple = groups
            .iter()
            .find(|g| g.reason().starts_with("Apple Push"))
            .unwrap();
        assert_eq!(apple.numbers(), "1-3");
        assert_eq!(
            apple.matches(),
            "server_name *.push.apple.com; port 5223, 443 or 2197"
        );
        assert_eq!(
            apple.explains(),
            "beacon, message_beacon, rate_burst, rate_above_peers (always)"
        );
        let xmpp = groups
            .iter()
            .find(|g| g.reason() == "chat client on a public XMPP server")
            .unwrap();
        assert!(
            xmpp.matches()
                .starts_with("server_name *.jabber.org, *.xmpp.jp")
        );
        assert!(xmpp.matches().ends_with(
            " or *.jabber.ccc.de; sessions held, not brief, by a person's machine; protocol XMPP"
        ));
        let internal = groups
            .iter()
            .find(|g| g.reason().starts_with("chat infrastructure"))
            .unwrap();
        assert_eq!(
            internal.matches(),
            "destination in the configured internal networks; protocol XMPP"
        );
        assert_eq!(
            internal.explains(),
            "beacon, message_beacon, rate_burst, rate_above_peers (when at least 3 hosts reach \
             the destination)"
        );
    }

    /// The README and docs/allowlist.md describe the default list with the table generated from
    /// it. `PUBSUB_HUNT_UPDATE_DOCS=1 cargo test -p pubsub-hunt-core docs_carry` rewrites them.
    #[test]
    fn docs_carry_the_generated_table() {
        let want = render_markdown(&default_allowlist());
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for doc in ["README.md", "docs/allowlist.md"] {
            let path = root.join(doc);
            let text = std::fs::read_to_string(&path).unwrap();
            let (Some(b), Some(e)) = (text.find(DOC_TABLE_BEGIN), text.find(DOC_TABLE_END)) else {
                panic!("{doc} has no generated default allowlist table ({DOC_TABLE_BEGIN})");
            };
            let start = b + DOC_TABLE_BEGIN.len() + 1;
            let got = text.get(start..e).unwrap_or("");
            if got == want {
                continue;
            }
            if std::env::var_os("PUBSUB_HUNT_UPDATE_DOCS").is_some() {
                let updated = format!("{}{want}{}", &text[..start], &text[e..]);
                std::fs::write(&path, updated).unwrap();
                continue;
            }
            panic!(
                "{doc}: the default allowlist table differs from the code; rerun with \
                 PUBSUB_HUNT_UPDATE_DOCS=1 and review the diff.\n--- {doc}\n{got}\n--- code\n{want}"
            );
        }
    }

    #[test]
    fn mixed_groups_list_each_entry() {
        let mut a = default_allowlist().swap_remove(0);
        a.reason = "x".into();
        let mut b = a.clone();
        b.port = None;
        let list = [a, b];
        let g = default_groups(&list);
        assert_eq!(g.len(), 1);
        assert_eq!(
            g[0].matches(),
            "server_name *.push.apple.com, port 5223 / server_name *.push.apple.com"
        );
    }

    #[test]
    fn text_markdown_and_json_name_every_class() {
        let list = default_allowlist();
        let text = render_text(&list);
        let md = render_markdown(&list);
        for g in default_groups(&list) {
            assert!(text.contains(g.reason()), "{}", g.reason());
            assert!(md.contains(&cell(g.reason())), "{}", g.reason());
        }
        assert!(
            md.contains("| `destination in the configured internal networks; protocol STOMP` |")
        );
        let v = serde_json::to_value(EntryView::of(1, &list[0])).unwrap();
        assert_eq!(v["server_name"], "*.push.apple.com");
        assert_eq!(v["port"], 5223);
        assert_eq!(v["explains"][0]["when"]["condition"], "always");
        assert_eq!(v["explains"][0]["signals"][0], "beacon");
        assert!(v.get("process").is_none());
        let last = list.last().unwrap();
        let v = serde_json::to_value(EntryView::of(list.len(), last)).unwrap();
        assert_eq!(v["destination_internal"], true);
        assert_eq!(v["explains"][0]["when"]["condition"], "reached_by");
        assert_eq!(v["explains"][0]["when"]["hosts"], 3);
    }
}
