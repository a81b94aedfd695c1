//! String escaping for every target language, and the translation of the configuration's
//! `*` globs into each language's patterns.
//!
//! Values in the exports come from a hunter's config file: process paths full of backslashes,
//! reasons with quotes, hosts with wildcards. Each language quotes and escapes differently, and
//! a wrong escape either breaks the query or, worse, silently changes what it matches (a Sigma
//! `C:\Tools\*` is a literal star, not a wildcard). All of that lives here so that each emitter
//! only says *what* to write.

/// Text safe inside a line comment of any target: control characters (a newline would end the
/// comment and let config text become query text) become spaces, and the SPL comment fence
/// ```` ``` ```` is broken up.
pub(crate) fn comment(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    flat.replace("```", "'''")
}

/// The shape of a `*` glob, so targets can use a dedicated operator (`startswith`, …) where one
/// fits instead of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobShape {
    /// No wildcard at all.
    Exact(String),
    /// `abc*`
    Prefix(String),
    /// `*abc`
    Suffix(String),
    /// `*abc*`
    Contains(String),
    /// Anything else (a wildcard in the middle, or only wildcards).
    Pattern,
}

pub(crate) fn glob_shape(glob: &str) -> GlobShape {
    let inner = glob.trim_start_matches('*').trim_end_matches('*');
    if inner.is_empty() || inner.contains('*') {
        return if glob.contains('*') {
            GlobShape::Pattern
        } else {
            GlobShape::Exact(String::new())
        };
    }
    match (glob.starts_with('*'), glob.ends_with('*')) {
        (false, false) => GlobShape::Exact(inner.to_string()),
        (false, true) => GlobShape::Prefix(inner.to_string()),
        (true, false) => GlobShape::Suffix(inner.to_string()),
        (true, true) => GlobShape::Contains(inner.to_string()),
    }
}

/// Escapes a literal for a Perl-style regular expression (Rust `regex`, RE2, PCRE, Java).
/// Only the metacharacters are escaped: RE2 and Rust reject escapes of ordinary letters, and
/// Rust reserves `\<` and `\>`.
pub(crate) fn regex_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A whole-string regular expression (Perl-style) for a glob; `any` is what a `*` becomes
/// (`.*`, or `[^\\/]*` where a star must stay within one path component).
pub(crate) fn glob_regex(glob: &str, any: &str) -> String {
    glob.split('*')
        .map(regex_literal)
        .collect::<Vec<_>>()
        .join(any)
}

/// A Sigma value: `*` stays a wildcard, a literal `?` or `*` is escaped, and a backslash is
/// doubled where Sigma would otherwise read it as an escape (before `*`, `?`, `\` and at the
/// end), so `C:\Tools\*` means "anything under C:\Tools\".
pub(crate) fn sigma_glob(glob: &str) -> String {
    // Tokens: (is_wildcard, char)
    let tokens: Vec<(bool, char)> = glob.chars().map(|c| (c == '*', c)).collect();
    sigma_tokens(&tokens)
}

/// A Sigma value matched literally (no wildcard).
pub(crate) fn sigma_literal(text: &str) -> String {
    let tokens: Vec<(bool, char)> = text.chars().map(|c| (false, c)).collect();
    sigma_tokens(&tokens)
}

fn sigma_tokens(tokens: &[(bool, char)]) -> String {
    let mut out = String::new();
    for (i, &(wild, c)) in tokens.iter().enumerate() {
        if wild {
            out.push('*');
            continue;
        }
        match c {
            '*' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => {
                // What follows in the *written* value decides whether Sigma reads this
                // backslash as an escape: a wildcard, an escaped literal (which starts with a
                // backslash) or the end of the value.
                let next_special = match tokens.get(i + 1) {
                    None => true,
                    Some((true, _)) => true,
                    Some((false, n)) => matches!(n, '*' | '?' | '\\'),
                };
                out.push('\\');
                if next_special {
                    out.push('\\');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// A YAML scalar: single-quoted (only `'` needs doubling) unless the text has control
/// characters, which only double quotes can carry.
pub(crate) fn yaml_str(text: &str) -> String {
    if text.chars().any(char::is_control) {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// A double-quoted string with C-style escapes (`\\`, `\"`, `\n`, …): the string literal of
/// KQL, SPL, YARA-L and ES|QL alike.
pub(crate) fn c_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A KQL string for a regular expression or a Windows path: verbatim (`@"..."`, only `"` is
/// doubled) so backslashes read as written; C-style when the text has control characters,
/// which a verbatim string cannot hold.
pub(crate) fn kql_verbatim(text: &str) -> String {
    if text.chars().any(char::is_control) {
        c_str(text)
    } else {
        format!("@\"{}\"", text.replace('"', "\"\""))
    }
}

/// A YARA-L regular expression literal: back-quoted (no escape processing) unless the pattern
/// itself holds a back-quote.
pub(crate) fn yaral_regex(pattern: &str) -> String {
    if pattern.contains('`') || pattern.chars().any(char::is_control) {
        c_str(pattern)
    } else {
        format!("`{pattern}`")
    }
}

/// An ES|QL string for a pattern: triple-quoted (no escape processing) when possible.
pub(crate) fn esql_raw(text: &str) -> String {
    if text.contains("\"\"\"") || text.ends_with('"') || text.chars().any(char::is_control) {
        c_str(text)
    } else {
        format!("\"\"\"{text}\"\"\"")
    }
}

/// An ES|QL `LIKE` pattern for a glob: `*` stays the wildcard; literal `*`, `?` and `\` are
/// escaped with a backslash.
pub(crate) fn esql_like(glob: &str) -> String {
    let mut out = String::new();
    for c in glob.chars() {
        match c {
            '*' => out.push('*'),
            '?' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_cannot_break_out() {
        assert_eq!(comment("a\nb\r\tc"), "a b  c");
        assert_eq!(comment("x ``` y"), "x ''' y");
    }

    #[test]
    fn glob_shapes() {
        assert_eq!(glob_shape("abc"), GlobShape::Exact("abc".into()));
        assert_eq!(glob_shape("abc*"), GlobShape::Prefix("abc".into()));
        assert_eq!(glob_shape("*abc"), GlobShape::Suffix("abc".into()));
        assert_eq!(glob_shape("*abc*"), GlobShape::Contains("abc".into()));
        assert_eq!(glob_shape("a*c"), GlobShape::Pattern);
        assert_eq!(glob_shape("*"), GlobShape::Pattern);
        assert_eq!(glob_shape("**a*b"), GlobShape::Pattern);
    }

    #[test]
    fn sigma_backslashes() {
        assert_eq!(sigma_glob(r"C:\Tools\*"), r"C:\Tools\\*");
        assert_eq!(sigma_literal(r"\mosquitto.exe"), r"\mosquitto.exe");
        assert_eq!(sigma_literal(r"C:\dir\"), r"C:\dir\\");
        assert_eq!(sigma_literal(r"a\\b"), r"a\\\b");
        assert_eq!(sigma_literal("what?*"), r"what\?\*");
        assert_eq!(sigma_literal(r"a\*"), r"a\\\*");
    }

    #[test]
    fn quoting() {
        assert_eq!(yaml_str("it's"), "'it''s'");
        assert_eq!(yaml_str("a\nb"), "\"a\\nb\"");
        assert_eq!(c_str(r#"C:\a "b""#), r#""C:\\a \"b\"""#);
        assert_eq!(kql_verbatim(r#"C:\a "b""#), r#"@"C:\a ""b""""#);
        assert_eq!(yaral_regex(r"\.exe$"), r"`\.exe$`");
        assert_eq!(yaral_regex("a`b"), "\"a`b\"");
        assert_eq!(esql_raw(r"^.*[\\/]"), r#""""^.*[\\/]""""#);
        assert_eq!(esql_raw("x\""), r#""x\"""#);
        assert_eq!(esql_like(r"c:\tools\*?"), r"c:\\tools\\*\?");
    }

    #[test]
    fn regexes() {
        assert_eq!(
            glob_regex("home-assistant*", "[^\\\\/]*"),
            r"home-assistant[^\\/]*"
        );
        assert_eq!(
            glob_regex(r"C:\Py\python*.exe", ".*"),
            r"C:\\Py\\python.*\.exe"
        );
    }
}
