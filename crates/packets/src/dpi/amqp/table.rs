//! AMQP 0-9-1 field tables, as far as the dissector needs them: looking up one long-string entry
//! by key (the client's `connection_name` in Connection.StartOk's client-properties, the
//! `LOGIN` of an AMQPLAIN response). Every value type RabbitMQ's clients send is skipped by its
//! size, so an entry after a nested table (`capabilities`) is still found; a value type not
//! known ends the look-up, since nothing after it can be located. Each step consumes at least
//! two bytes of the table, so a look-up is linear in the table's size and allocates nothing.

use crate::dpi::text::Reader;

/// The type octet of a long string (`S`): u32 length, then the bytes.
const LONG_STRING: u8 = b'S';

/// Skips one value of type `kind`; `None` when the type is unknown or the value is cut.
///
/// The type octets are those RabbitMQ and its client libraries use, which differ from the
/// 0-9-1 specification's table for `s` (a signed 16-bit integer here, not a short string) and
/// add `x` (byte array); `docs/dissectors.md` lists them.
fn skip_value(r: &mut Reader<'_>, kind: u8) -> Option<()> {
    let fixed = match kind {
        b'V' => 0,
        b't' | b'b' | b'B' => 1,
        b's' | b'u' => 2,
        b'I' | b'i' | b'f' => 4,
        b'D' => 5,
        b'l' | b'L' | b'd' | b'T' => 8,
        // Long string, byte array, array and nested table: u32 length, then the bytes.
        b'S' | b'x' | b'A' | b'F' => {
            let n = r.u32()? as usize;
            return r.skip(n);
        }
        _ => return None,
    };
    r.skip(fixed)
}

/// The long-string value of entry `key` in a field table's entries (the bytes after its u32
/// length), if the entry is there and is a long string.
pub(super) fn long_string<'a>(entries: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut r = Reader::new(entries);
    while r.remaining() > 0 {
        let name = r.str8()?;
        let kind = r.u8()?;
        if name == key && kind == LONG_STRING {
            let n = r.u32()? as usize;
            return r.bytes(n);
        }
        skip_value(&mut r, kind)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One table entry: key, type octet, encoded value.
    fn entry(key: &str, kind: u8, value: &[u8]) -> Vec<u8> {
        let mut v = vec![key.len() as u8];
        v.extend_from_slice(key.as_bytes());
        v.push(kind);
        v.extend_from_slice(value);
        v
    }

    fn long(s: &[u8]) -> Vec<u8> {
        let mut v = (s.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(s);
        v
    }

    #[test]
    fn finds_an_entry_after_values_of_every_size() {
        let nested = [
            entry("publisher_confirms", b't', &[1]),
            entry("x", b's', &[0, 1]),
        ]
        .concat();
        let table = [
            entry("product", b'S', &long(b"pika")),
            entry("capabilities", b'F', &long(&nested)),
            entry("flags", b'A', &long(&[b't', 1, b'V'])),
            entry("n", b'l', &[0; 8]),
            entry("d", b'D', &[2, 0, 0, 0, 7]),
            entry("void", b'V', &[]),
            entry("raw", b'x', &long(b"\x00\x01")),
            entry("connection_name", b'S', &long(b"worker-7f3a")),
        ]
        .concat();
        assert_eq!(
            long_string(&table, b"connection_name"),
            Some(&b"worker-7f3a"[..])
        );
        assert_eq!(long_string(&table, b"product"), Some(&b"pika"[..]));
        // A key inside the nested table is not a top-level entry.
        assert_eq!(long_string(&table, b"publisher_confirms"), None);
        assert_eq!(long_string(&table, b"missing"), None);
    }

    #[test]
    fn wrong_type_unknown_type_and_cut_tables_find_nothing() {
        let wrong = entry("connection_name", b'I', &[0, 0, 0, 1]);
        assert_eq!(long_string(&wrong, b"connection_name"), None);
        let unknown = [
            entry("odd", b'?', &[0]),
            entry("connection_name", b'S', &long(b"c")),
        ]
        .concat();
        assert_eq!(long_string(&unknown, b"connection_name"), None);
        let whole = entry("connection_name", b'S', &long(b"worker"));
        for cut in 0..whole.len() {
            assert_eq!(long_string(&whole[..cut], b"connection_name"), None);
        }
        // A length past the end of the table.
        let lying = entry("connection_name", b'S', &[0xff, 0xff, 0xff, 0xff, b'a']);
        assert_eq!(long_string(&lying, b"connection_name"), None);
    }
}
