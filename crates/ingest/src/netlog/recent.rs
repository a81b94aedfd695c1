//! A bounded memory of flow ids for a reader of events that describe one flow in several records
//! (Suricata EVE: a flow's `tls` and `mqtt` events come before its `flow` event, which may never
//! come): values kept per id in arrival order, the oldest dropped past a fixed bound.

use std::collections::{HashMap, VecDeque};

/// What the reader keeps per flow id until the flow's other events come, at most `BOUND` ids:
/// past it the oldest goes, so flows whose other events never come cannot grow it. An id taken
/// out early still holds its place in the order until it would have gone.
pub(super) struct Recent<V, const BOUND: usize> {
    pub(super) values: HashMap<u64, V>,
    pub(super) order: VecDeque<u64>,
}

impl<V, const BOUND: usize> Default for Recent<V, BOUND> {
    fn default() -> Self {
        Recent {
            values: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<V, const BOUND: usize> Recent<V, BOUND> {
    /// Keeps `value` for `id`, unless one is kept already.
    pub(super) fn insert(&mut self, id: u64, value: V) {
        if self.values.contains_key(&id) {
            return;
        }
        self.values.insert(id, value);
        self.order.push_back(id);
        if self.order.len() > BOUND
            && let Some(old) = self.order.pop_front()
        {
            self.values.remove(&old);
        }
    }

    pub(super) fn contains(&self, id: u64) -> bool {
        self.values.contains_key(&id)
    }

    pub(super) fn remove(&mut self, id: u64) -> Option<V> {
        self.values.remove(&id)
    }
}
