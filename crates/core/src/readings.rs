//! Numeric readings: whether a payload is a JSON object whose values are only numbers (and
//! booleans or nulls), nested objects and arrays included — `{"t":21.3,"sp":21.0,"h":48}`, what
//! thermostats, meters and sensors publish. Such a payload carries measurements and nothing else:
//! no text, so no command, no command output, no host survey and no encoded body. The data model
//! records the finding per message as a payload trait (`payload::payload_traits::READINGS`).
//!
//! A leaf: the JSON is read by `serde_json` into visitors that keep nothing, so a payload costs
//! no allocation, and only payloads up to [`MAX_READINGS_BYTES`] are read.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Longest payload read as readings: a device's report is small, and a larger JSON body is not
/// worth parsing per message.
pub const MAX_READINGS_BYTES: usize = 2048;

/// Deepest nesting accepted (a device's report nests a level or two).
const MAX_DEPTH: u8 = 4;

/// Whether `payload` is a JSON object of at least two members whose values are all numbers,
/// booleans or nulls, or objects and arrays of those (at most [`MAX_DEPTH`] deep), with at
/// least one number. Keys may be any string: they name the readings.
pub fn is_numeric_readings(payload: &[u8]) -> bool {
    let trimmed = payload.trim_ascii();
    if trimmed.len() > MAX_READINGS_BYTES || trimmed.first() != Some(&b'{') {
        return false;
    }
    let mut de = serde_json::Deserializer::from_slice(trimmed);
    let Ok(found) = de.deserialize_map(Readings { depth: 0 }) else {
        return false;
    };
    de.end().is_ok() && found.members >= 2 && found.numbers >= 1
}

/// What a value held: members of the top object, and numbers anywhere.
#[derive(Debug, Clone, Copy, Default)]
struct Found {
    members: usize,
    numbers: usize,
}

/// What a single number holds.
const ONE_NUMBER: Found = Found {
    members: 0,
    numbers: 1,
};

/// Accepts a number, boolean, null, or an object or array of those; anything else (a string)
/// is an error, which ends the parse.
struct Readings {
    depth: u8,
}

impl<'de> de::DeserializeSeed<'de> for Readings {
    type Value = Found;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Readings {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("numbers, booleans, nulls, or objects and arrays of them")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Found, E> {
        Ok(Found::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Found, E> {
        Ok(Found::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Found, E> {
        Ok(ONE_NUMBER)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Found, E> {
        Ok(ONE_NUMBER)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Found, E> {
        Ok(ONE_NUMBER)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found, A::Error> {
        let inner = self.nested::<A::Error>()?;
        let mut found = Found::default();
        while let Some(f) = seq.next_element_seed(Readings { depth: inner })? {
            found.numbers += f.numbers;
        }
        Ok(found)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let inner = self.nested::<A::Error>()?;
        let mut found = Found::default();
        while map.next_key::<IgnoredAny>()?.is_some() {
            let f = map.next_value_seed(Readings { depth: inner })?;
            found.members += 1;
            found.numbers += f.numbers;
        }
        Ok(found)
    }
}

impl Readings {
    fn nested<E: de::Error>(&self) -> Result<u8, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom("nested too deep"));
        }
        Ok(self.depth + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn device_reports_are_readings() {
        assert!(is_numeric_readings(
            br#"{"t":21.3,"sp":21.0,"h":48,"v":3,"ts":1769992144}"#
        ));
        assert!(is_numeric_readings(
            br#" {"power": 12.5, "relay": true, "energy": {"total": 3.2, "by_minute": [1, 2, 3]}} "#
        ));
        assert!(is_numeric_readings(br#"{"rssi":-71,"fault":null}"#));
    }

    #[test]
    fn text_encoded_bodies_and_other_shapes_are_not() {
        // A string anywhere can carry a command, its output or an encoded body.
        assert!(!is_numeric_readings(
            br#"{"t":21.3,"checksum":"gAAAAABlZ2X1c3VwZXJzZWNyZXQ="}"#
        ));
        assert!(!is_numeric_readings(br#"{"id":7,"out":"uid=0(root)"}"#));
        assert!(!is_numeric_readings(br#"{"t":{"unit":"C","v":21}}"#));
        // One member, no number, not an object, trailing bytes, broken JSON.
        assert!(!is_numeric_readings(br#"{"t":21.3}"#));
        assert!(!is_numeric_readings(br#"{"on":true,"off":false}"#));
        assert!(!is_numeric_readings(br#"[21.3, 48]"#));
        assert!(!is_numeric_readings(br#"21.3"#));
        assert!(!is_numeric_readings(br#"{"t":21.3,"h":48} {"x":1}"#));
        assert!(!is_numeric_readings(br#"{"t":21.3,"h":"#));
        assert!(!is_numeric_readings(b"aGVsbG8gd29ybGQ="));
        assert!(!is_numeric_readings(b""));
    }

    #[test]
    fn deep_or_large_bodies_are_not_read() {
        let deep = br#"{"a":1,"b":{"c":{"d":{"e":{"f":1}}}}}"#;
        assert!(!is_numeric_readings(deep));
        let shallow = br#"{"a":1,"b":{"c":{"d":{"e":1}}}}"#;
        assert!(is_numeric_readings(shallow));
        let mut big = String::from("{\"a\":1");
        while big.len() <= MAX_READINGS_BYTES {
            big.push_str(",\"b\":2");
        }
        big.push('}');
        assert!(!is_numeric_readings(big.as_bytes()));
    }

    proptest! {
        #[test]
        fn any_bytes_are_judged_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = is_numeric_readings(&bytes);
        }

        #[test]
        fn flat_objects_of_numbers_are_readings(values in proptest::collection::vec(-1e9f64..1e9, 2..40)) {
            let body = values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("\"k{i}\":{v}"))
                .collect::<Vec<_>>()
                .join(",");
            let body = format!("{{{body}}}");
            prop_assert_eq!(is_numeric_readings(body.as_bytes()), body.len() <= MAX_READINGS_BYTES);
        }
    }
}
