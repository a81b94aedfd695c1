//! The little XML the XMPP dissector reads from hostile bytes, and XMPP addresses: start tags,
//! element names and lengths, child elements and their text, and full JIDs. No parser state:
//! every function looks at a bounded slice (a start tag at most [`MAX_TAG`] bytes, an element
//! at most the dissector's buffer) with `memchr` scans, so each is linear in what it is given.

use crate::dpi::text::{clean_name, find};

/// Longest start tag read.
pub(super) const MAX_TAG: usize = 4096;

/// Whether `at` is a place where an XML element may start (start of buffer, after a tag or
/// whitespace).
pub(super) fn element_boundary(buf: &[u8], at: usize) -> bool {
    at == 0
        || buf
            .get(at - 1)
            .is_some_and(|b| *b == b'>' || b.is_ascii_whitespace())
}

/// The start tag beginning at the front of `buf` (through `>`), if complete.
pub(super) fn start_tag(buf: &[u8]) -> Option<&[u8]> {
    let window = buf.get(..buf.len().min(MAX_TAG)).unwrap_or(buf);
    let end = memchr::memchr(b'>', window)?;
    window.get(..=end)
}

/// The element name of a tag (`<name ...>`), without the `<`.
pub(super) fn tag_name(tag: &[u8]) -> &[u8] {
    let body = tag.get(1..).unwrap_or(&[]);
    let end = body
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        .unwrap_or(body.len());
    body.get(..end).unwrap_or(&[])
}

/// Whether the byte after an element name ends the name.
fn ends_name(b: Option<&u8>) -> bool {
    b.is_some_and(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
}

/// Length of the element starting at the front of `buf` named `name`, if complete: through
/// `/>` for an empty element, else through the matching close tag (nesting of the same name
/// counted).
pub(super) fn element_len(buf: &[u8], name: &[u8]) -> Option<usize> {
    element_len_from(buf, name, &mut ElementScan::default())
}

/// Where the search for an element's end stopped, so that the next call with more bytes (the
/// same front, longer) goes on from there instead of scanning the held bytes again.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct ElementScan {
    /// Offset of the next `<` to look at (0: the start tag was not read yet).
    at: usize,
    /// Open elements of the same name.
    depth: usize,
    /// Position of the first `>` at or after the last nested start tag looked at, reused for
    /// the `<`s before it (a run of `<` without `>` costs one search, not one each).
    next_gt: Option<usize>,
}

/// [`element_len`] that resumes from `scan`, which must come from a call on the same front.
pub(super) fn element_len_from(buf: &[u8], name: &[u8], scan: &mut ElementScan) -> Option<usize> {
    if scan.at == 0 {
        let tag = start_tag(buf)?;
        if tag.ends_with(b"/>") {
            return Some(tag.len());
        }
        scan.at = tag.len();
        scan.depth = 1;
    }
    while let Some(i) = buf.get(scan.at..).and_then(|b| memchr::memchr(b'<', b)) {
        let open = scan.at + i;
        let rest = buf.get(open + 1..).unwrap_or(&[]);
        if rest.len() < name.len() + 2 {
            // Too short to tell what this tag is: wait for more here.
            scan.at = open;
            return None;
        }
        if let Some(close) = rest.strip_prefix(b"/") {
            if close.starts_with(name) && close.get(name.len()) == Some(&b'>') {
                scan.depth = scan.depth.saturating_sub(1);
                if scan.depth == 0 {
                    // Done: a later call starts afresh (and finds the same end).
                    *scan = ElementScan::default();
                    return Some(open + 2 + name.len() + 1);
                }
            }
        } else if rest.starts_with(name)
            && rest
                .get(name.len())
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>')
        {
            // A nested element of the same name: empty (`/>`) or one level deeper.
            let gt = match scan.next_gt.filter(|g| *g > open) {
                Some(g) => g,
                None => match buf.get(open..).and_then(|b| memchr::memchr(b'>', b)) {
                    Some(g) => open + g,
                    None => {
                        scan.at = open;
                        return None;
                    }
                },
            };
            scan.next_gt = Some(gt);
            if gt - open >= MAX_TAG {
                // Not a tag this reader accepts: the element never completes (as before).
                scan.at = open;
                return None;
            }
            if buf.get(gt - 1) != Some(&b'/') {
                scan.depth += 1;
            }
        }
        scan.at = open + 1;
    }
    scan.at = scan.at.max(buf.len());
    None
}

/// The start tag of the first descendant element named exactly `name` (not a longer name that
/// begins with it), searched after the element's own start tag.
pub(super) fn child_tag<'a>(element: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let own = start_tag(element)?.len();
    let mut from = own;
    while let Some(i) = element.get(from..).and_then(|e| find(e, name)) {
        let at = from + i;
        from = at + 1;
        if at == 0 || element.get(at - 1) != Some(&b'<') || !ends_name(element.get(at + name.len()))
        {
            continue;
        }
        return start_tag(element.get(at - 1..)?);
    }
    None
}

/// The text between `<name ...>` and `</name>` inside an element, if present.
pub(super) fn child_text<'a>(element: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut open = b"<".to_vec();
    open.extend_from_slice(name);
    let start = find(element, &open)?;
    let after = element.get(start..)?;
    let tag_end = memchr::memchr(b'>', after)?;
    if after.get(tag_end.checked_sub(1)?) == Some(&b'/') {
        return Some(&[]);
    }
    let content = after.get(tag_end + 1..)?;
    let mut close = b"</".to_vec();
    close.extend_from_slice(name);
    let end = find(content, &close)?;
    content.get(..end)
}

/// A full JID (`local@domain/resource`), the address of one connected client: all three parts
/// non-empty, no whitespace or control characters. Bare JIDs (an account, not a connection) and
/// server or component addresses (no `@`) are not.
pub(super) fn full_jid(bytes: &[u8]) -> Option<&str> {
    let s = clean_name(bytes)?;
    let (bare, resource) = s.split_once('/')?;
    let (local, domain) = bare.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !resource.is_empty()
        && !s.chars().any(char::is_whitespace);
    ok.then_some(s)
}

/// The bare JID (`local@domain`) of an address: a MUC room's own address when given an
/// occupant's (`room@service/nick`). `None` without a local part or with bad characters.
pub(super) fn bare_jid(bytes: &[u8]) -> Option<&str> {
    let s = clean_name(bytes)?;
    let bare = s.split_once('/').map_or(s, |(b, _)| b);
    let (local, domain) = bare.split_once('@')?;
    let ok = !local.is_empty() && !domain.is_empty() && !bare.chars().any(char::is_whitespace);
    ok.then_some(bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumed_element_scan_agrees_with_a_fresh_one() {
        let el: &[u8] =
            b"<message to='a'><message/><message x='1'>in</message><body>hi</body></message>tail";
        for cut in 0..el.len() {
            let mut scan = ElementScan::default();
            let _ = element_len_from(&el[..cut], b"message", &mut scan);
            assert_eq!(
                element_len_from(el, b"message", &mut scan),
                element_len(el, b"message"),
                "cut at {cut}"
            );
        }
        assert_eq!(element_len(el, b"message"), Some(el.len() - 4));
    }

    #[test]
    fn child_tags_match_whole_names_only() {
        let el = b"<iq type='set'><pubsub xmlns='p'><publish-options/><publish node='a/b'><item/></publish></pubsub></iq>";
        assert_eq!(
            child_tag(el, b"publish"),
            Some(&b"<publish node='a/b'>"[..])
        );
        assert_eq!(
            child_tag(el, b"iq"),
            None,
            "the element itself is not its child"
        );
        assert_eq!(child_tag(el, b"subscribe"), None);
        assert_eq!(child_tag(b"<a><b", b"b"), None, "an unfinished tag");
    }

    #[test]
    fn jids() {
        assert_eq!(
            full_jid(b"tom@cs-xmpp.lan/darkstar"),
            Some("tom@cs-xmpp.lan/darkstar")
        );
        // A resource may contain `/` and `@`.
        assert_eq!(full_jid(b"a@b/c/d@e"), Some("a@b/c/d@e"));
        for not_full in [
            &b"tom@cs-xmpp.lan"[..],
            b"cs-xmpp.lan/x",
            b"@d/r",
            b"a@/r",
            b"a@d/",
            b"a b@d/r",
            b"a@d/r\x01",
            b"\xff@d/r",
        ] {
            assert_eq!(full_jid(not_full), None, "{not_full:?}");
        }
        assert_eq!(
            bare_jid(b"chat-with-tom@conference.cs-xmpp.lan/tom"),
            Some("chat-with-tom@conference.cs-xmpp.lan")
        );
        assert_eq!(bare_jid(b"conference.cs-xmpp.lan"), None);
    }
}
