//! Bounds: cutting strings to a byte budget and keeping sets to their `cap` smallest members, so
//! hostile input (megabyte names, a million distinct values) costs a fixed amount of memory and
//! work, and what is kept does not depend on the order values arrive or groups merge in.
//!
//! A leaf: imports nothing from the crate. The data model (`app`), the behaviour scorers and the
//! analytics all use it.

use std::collections::BTreeSet;

/// `s` cut to at most `max` bytes at a character boundary.
pub fn capped(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// Inserts into a set that keeps only its `cap` smallest members, so what is kept does not
/// depend on insertion order. Returns true when a member was dropped (the new value or the
/// largest old one).
pub(crate) fn insert_smallest<T, Q>(set: &mut BTreeSet<T>, value: &Q, cap: usize) -> bool
where
    T: Ord + std::borrow::Borrow<Q>,
    Q: Ord + ToOwned<Owned = T> + ?Sized,
{
    if set.contains(value) {
        return false;
    }
    if set.len() >= cap {
        match set.last() {
            Some(last) if value < last.borrow() => {
                set.pop_last();
            }
            _ => return true,
        }
        set.insert(value.to_owned());
        return true;
    }
    set.insert(value.to_owned());
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_respects_char_boundaries() {
        assert_eq!(capped("abc", 5), "abc");
        assert_eq!(capped("abcdef", 3), "abc");
        // 'é' is two bytes: a cut in its middle backs off to before it.
        assert_eq!(capped("aé", 2), "a");
        assert_eq!(capped("", 0), "");
    }
}
