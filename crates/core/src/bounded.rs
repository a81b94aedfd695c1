//! Bounds: cutting strings to a byte budget and keeping sets to their `cap` smallest members, so
//! hostile input (megabyte names, a million distinct values) costs a fixed amount of memory and
//! work, and what is kept does not depend on the order values arrive or groups merge in.
//!
//! [`SmallSet`] is the ordered set for those few members.
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

/// An ordered set of a few members, kept as a sorted vector without duplicates. The per-group
/// sets (a few samples, names, sources, connection identifiers, each at most a few dozen) hold
/// one or two members in most groups, and a B-tree set allocates room for eleven in its first
/// node: for sixteen connection identifiers' worth of `ConnIdent`s that is 1.4 KB per group,
/// which with a million groups was gigabytes. Iteration is in order, like a `BTreeSet`'s.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SmallSet<T>(Vec<T>);

impl<T> Default for SmallSet<T> {
    fn default() -> Self {
        SmallSet(Vec::new())
    }
}

impl<T: Ord> SmallSet<T> {
    pub fn new() -> Self {
        SmallSet(Vec::new())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The members in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn first(&self) -> Option<&T> {
        self.0.first()
    }

    pub fn last(&self) -> Option<&T> {
        self.0.last()
    }

    pub fn pop_last(&mut self) -> Option<T> {
        self.0.pop()
    }

    fn position<Q>(&self, value: &Q) -> Result<usize, usize>
    where
        T: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.0.binary_search_by(|m| m.borrow().cmp(value))
    }

    pub fn contains<Q>(&self, value: &Q) -> bool
    where
        T: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.position(value).is_ok()
    }

    /// Adds `value`; false when it was already a member.
    pub fn insert(&mut self, value: T) -> bool {
        match self.position(&value) {
            Ok(_) => false,
            Err(at) => {
                // Doubling from one, not from `Vec`'s four: most sets hold one or two members.
                if self.0.len() == self.0.capacity() {
                    self.0.reserve_exact(self.0.len().max(1));
                }
                self.0.insert(at, value);
                true
            }
        }
    }

    pub fn remove<Q>(&mut self, value: &Q) -> bool
    where
        T: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.position(value) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.0.retain(keep);
    }

    /// The members as a sorted slice.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
}

impl<T: Ord> FromIterator<T> for SmallSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v: Vec<T> = iter.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        SmallSet(v)
    }
}

impl<T: Ord> Extend<T> for SmallSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for v in iter {
            self.insert(v);
        }
    }
}

impl<T> IntoIterator for SmallSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a SmallSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The ordered sets [`insert_smallest`] keeps bounded: `BTreeSet` and [`SmallSet`].
pub(crate) trait OrderedSet<T: Ord> {
    fn has<Q>(&self, value: &Q) -> bool
    where
        T: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized;
    fn count(&self) -> usize;
    fn largest(&self) -> Option<&T>;
    fn drop_largest(&mut self);
    fn add(&mut self, value: T);
}

// Both sets answer with the same names; the trait only gives them one.
macro_rules! ordered_set {
    ($set:ident) => {
        impl<T: Ord> OrderedSet<T> for $set<T> {
            fn has<Q>(&self, value: &Q) -> bool
            where
                T: std::borrow::Borrow<Q>,
                Q: Ord + ?Sized,
            {
                self.contains(value)
            }
            fn count(&self) -> usize {
                self.len()
            }
            fn largest(&self) -> Option<&T> {
                self.last()
            }
            fn drop_largest(&mut self) {
                self.pop_last();
            }
            fn add(&mut self, value: T) {
                self.insert(value);
            }
        }
    };
}
ordered_set!(BTreeSet);
ordered_set!(SmallSet);

/// Inserts into a set that keeps only its `cap` smallest members, so what is kept does not
/// depend on insertion order. Returns true when a member was dropped (the new value or the
/// largest old one).
pub(crate) fn insert_smallest<S, T, Q>(set: &mut S, value: &Q, cap: usize) -> bool
where
    S: OrderedSet<T>,
    T: Ord + std::borrow::Borrow<Q>,
    Q: Ord + ToOwned<Owned = T> + ?Sized,
{
    if set.has(value) {
        return false;
    }
    if set.count() >= cap {
        match set.largest() {
            Some(last) if value < last.borrow() => {
                set.drop_largest();
            }
            _ => return true,
        }
        set.add(value.to_owned());
        return true;
    }
    set.add(value.to_owned());
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

    proptest::proptest! {
        /// A `SmallSet` holds what a `BTreeSet` holds, in the same order, and keeping the
        /// smallest `cap` gives the same members whatever the order values come in.
        #[test]
        fn small_set_matches_btree_set(values in proptest::collection::vec(0u16..64, 0..80), cap in 1usize..20) {
            let mut small = SmallSet::new();
            let mut tree = BTreeSet::new();
            let mut small_cut = SmallSet::new();
            let mut tree_cut = BTreeSet::new();
            for v in &values {
                proptest::prop_assert_eq!(small.insert(*v), tree.insert(*v));
                proptest::prop_assert_eq!(
                    insert_smallest(&mut small_cut, v, cap),
                    insert_smallest(&mut tree_cut, v, cap)
                );
            }
            proptest::prop_assert!(small.iter().eq(tree.iter()));
            proptest::prop_assert!(small_cut.iter().eq(tree_cut.iter()));
            let collected: SmallSet<u16> = values.iter().rev().copied().collect();
            proptest::prop_assert_eq!(&collected, &small);
            if let Some(first) = values.first() {
                proptest::prop_assert!(small.contains(first));
                proptest::prop_assert!(small.remove(first));
                proptest::prop_assert!(!small.contains(first));
            }
        }
    }
}
