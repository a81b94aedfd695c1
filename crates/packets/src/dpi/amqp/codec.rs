//! AMQP 1.0's type system, as far as the dissector needs it: primitive values, described types
//! (performatives and termini by their descriptor code) and the fields of a list, decoded from
//! hostile bytes without allocation beyond the field list and with every length checked.

use crate::dpi::text::{Reader, clean_name};

/// An encoded AMQP 1.0 value, borrowed.
#[derive(Debug, Clone, Copy)]
pub(super) enum Value<'a> {
    Bytes(&'a [u8]),
    Uint(u64),
    Bool(bool),
    /// A described list (terminus): its encoded fields.
    Described(&'a [u8]),
    Other,
}

pub(super) fn as_bytes<'a>(v: Value<'a>) -> Option<&'a [u8]> {
    match v {
        Value::Bytes(b) => Some(b),
        _ => None,
    }
}
pub(super) fn as_str(v: Value<'_>) -> Option<&str> {
    as_bytes(v).and_then(clean_name).filter(|s| !s.is_empty())
}
pub(super) fn as_uint(v: Value<'_>) -> Option<u32> {
    match v {
        Value::Uint(n) => u32::try_from(n).ok(),
        _ => None,
    }
}
pub(super) fn as_bool(v: Value<'_>) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(b),
        _ => None,
    }
}

/// The address (first field) of a source or target terminus.
pub(super) fn terminus_address(v: Value<'_>) -> Option<String> {
    let Value::Described(inner) = v else {
        return None;
    };
    let mut r = Reader::new(inner);
    let fields = list_fields(&mut r)?;
    fields
        .first()
        .copied()
        .flatten()
        .and_then(as_str)
        .map(str::to_string)
}

/// Reads a descriptor (`00` + smallulong/ulong) and returns its code.
pub(super) fn described_code(r: &mut Reader<'_>) -> Option<u64> {
    if r.u8()? != 0x00 {
        return None;
    }
    match r.u8()? {
        0x53 => r.u8().map(u64::from),
        0x80 => r.u64(),
        0x44 => Some(0),
        // Symbolic descriptors are skipped as "unknown".
        0xa3 => {
            r.str8()?;
            Some(u64::MAX)
        }
        _ => None,
    }
}

/// Most descriptors read in a row before a value (real types have one; a described value
/// whose value is described again is legal but never deep).
pub(super) const MAX_DESCRIBED_DEPTH: usize = 8;

/// Most list fields decoded (performatives have at most 14).
pub(super) const MAX_FIELDS: usize = 16;

/// Reads a list and decodes its first fields.
pub(super) fn list_fields<'a>(r: &mut Reader<'a>) -> Option<Vec<Option<Value<'a>>>> {
    let (count, body) = match r.u8()? {
        0x45 => (0usize, &[][..]),
        0xc0 => {
            let size = usize::from(r.u8()?);
            let body = r.bytes(size)?;
            let mut b = Reader::new(body);
            let count = usize::from(b.u8()?);
            (count, b.rest())
        }
        0xd0 => {
            let size = r.u32()? as usize;
            let body = r.bytes(size)?;
            let mut b = Reader::new(body);
            let count = b.u32()? as usize;
            (count, b.rest())
        }
        _ => return None,
    };
    let mut fields = Vec::new();
    let mut b = Reader::new(body);
    for _ in 0..count.min(MAX_FIELDS) {
        fields.push(value(&mut b));
    }
    Some(fields)
}

/// Decodes one value; `None` for null or what cannot be decoded (then reading stops making
/// sense, so later fields come out `None` too).
pub(super) fn value<'a>(r: &mut Reader<'a>) -> Option<Value<'a>> {
    let code = r.u8()?;
    let fixed = |r: &mut Reader<'a>, n: usize| r.skip(n).map(|_| Value::Other);
    match code {
        0x00 => {
            // Described value: descriptor, then the value (a list for termini). The value may
            // itself be described; the chain is walked in a loop, not by recursion (hostile
            // frames nest thousands deep), and a chain longer than any real type is refused.
            let mut start = None;
            let mut depth = 0usize;
            loop {
                let mut probe = *r;
                match probe.u8()? {
                    0x53 => probe.u8()?,
                    0x80 => {
                        probe.u64()?;
                        0
                    }
                    0xa3 => {
                        probe.str8()?;
                        0
                    }
                    _ => return None,
                };
                start.get_or_insert(probe.pos);
                *r = probe;
                depth += 1;
                if depth > MAX_DESCRIBED_DEPTH {
                    return None;
                }
                // Another described value follows: go round again.
                let mut next = *r;
                if next.u8()? != 0x00 {
                    break;
                }
                *r = next;
            }
            value(r)?;
            r.buf.get(start?..r.pos).map(Value::Described)
        }
        0x40 => None,
        0x41 => Some(Value::Bool(true)),
        0x42 => Some(Value::Bool(false)),
        0x56 => r.u8().map(|b| Value::Bool(b != 0)),
        0x43 | 0x44 => Some(Value::Uint(0)),
        0x50 | 0x52 | 0x53 => r.u8().map(|b| Value::Uint(u64::from(b))),
        0x60 => r.u16().map(|b| Value::Uint(u64::from(b))),
        0x70 => r.u32().map(|b| Value::Uint(u64::from(b))),
        0x80 => r.u64().map(Value::Uint),
        0x51 | 0x54 | 0x55 => fixed(r, 1),
        0x61 => fixed(r, 2),
        0x71..=0x74 => fixed(r, 4),
        0x81..=0x84 => fixed(r, 8),
        0x94 | 0x98 => fixed(r, 16),
        0xa0 | 0xa1 | 0xa3 => r.str8().map(Value::Bytes),
        0xb0 | 0xb1 | 0xb3 => {
            let n = r.u32()? as usize;
            r.bytes(n).map(Value::Bytes)
        }
        0x45 => Some(Value::Other),
        0xc0 | 0xc1 | 0xe0 => {
            let n = usize::from(r.u8()?);
            r.skip(n).map(|_| Value::Other)
        }
        0xd0 | 0xd1 | 0xf0 => {
            let n = r.u32()? as usize;
            r.skip(n).map(|_| Value::Other)
        }
        _ => None,
    }
}
