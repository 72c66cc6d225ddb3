//! Which keys carry which tag, for `invalidate_tag`.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

/// Tag → keys of one cache.
pub(crate) struct TagIndex<K> {
    keys_by_tag: Mutex<HashMap<String, HashSet<K>>>,
}

impl<K: Hash + Eq + Clone> TagIndex<K> {
    pub(crate) fn new() -> Self {
        Self {
            keys_by_tag: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashSet<K>>> {
        self.keys_by_tag
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn add(&self, key: &K, tags: Vec<String>) {
        let mut map = self.map();
        for tag in tags {
            map.entry(tag).or_default().insert(key.clone());
        }
    }

    /// Forgets the tag and returns the keys it had.
    pub(crate) fn take(&self, tag: &str) -> HashSet<K> {
        self.map().remove(tag).unwrap_or_default()
    }

    /// Drops keys the cache no longer holds (evicted or expired), and empty tags. A
    /// `dyn` test: the index is compiled once per key type, not once per cache.
    pub(crate) fn prune(&self, still_held: &dyn Fn(&K) -> bool) {
        self.map().retain(|_, keys| {
            keys.retain(still_held);
            !keys.is_empty()
        });
    }

    pub(crate) fn clear(&self) {
        self.map().clear();
    }
}
