//! `#[cached(on_evict = path)]`: why an entry left a memory cache, reported by the
//! engines' own listeners (quick_cache's lifecycle, moka's eviction listener) and by the
//! store's remove and replace paths.

use super::config::Entry;
use quick_cache::Lifecycle;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Why an entry left a cache, as the `#[cached(on_evict = ..)]` hook is told.
///
/// ```
/// use memotrace::cache::EvictionCause;
///
/// fn gone(key: &u64, value: &String, cause: EvictionCause) {
///     if cause == EvictionCause::Capacity {
///         println!("{key} ({} bytes) made room", value.len());
///     }
/// }
///
/// #[memotrace::cached(max_capacity = 1_000, on_evict = gone)]
/// fn page(id: u64) -> String {
///     format!("<html>{id}</html>")
/// }
/// # assert_eq!(page(1), "<html>1</html>");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EvictionCause {
    /// Dropped to make room (`max_capacity`, `max_weight`).
    Capacity,
    /// Its time ran out: dropped by moka's ttl or tti, or by the sweep of entries past
    /// their ttl and stale window.
    Expired,
    /// Dropped by `{fn}_invalidate`, a tag, `clear`, or (tiered) another process's
    /// write or invalidation.
    Invalidated,
    /// Overwritten by a new value for its key: `{fn}_put`, `insert`, a background
    /// refresh.
    Replaced,
}

/// The `on_evict` hook: the key, the value that left, and why.
type EvictionHook<K, V> = fn(&K, &V, EvictionCause);

/// Where an engine reports entries leaving: the counter behind `CacheStats::evictions`
/// (capacity and engine expiry), and the `on_evict` hook once one is set.
pub struct Evictions<K, V> {
    count: Arc<AtomicU64>,
    hook: Arc<OnceLock<EvictionHook<K, V>>>,
}

impl<K, V> Clone for Evictions<K, V> {
    fn clone(&self) -> Self {
        Self {
            count: Arc::clone(&self.count),
            hook: Arc::clone(&self.hook),
        }
    }
}

impl<K, V> Evictions<K, V> {
    /// Counting into `count`, with no hook yet.
    pub(crate) fn new(count: Arc<AtomicU64>) -> Self {
        Self {
            count,
            hook: Arc::new(OnceLock::new()),
        }
    }

    /// Sets the hook (the first one set stays).
    pub(crate) fn set_hook(&self, hook: EvictionHook<K, V>) {
        let _ = self.hook.set(hook);
    }

    /// The hook, when one is set.
    #[inline]
    pub(crate) fn hook(&self) -> Option<EvictionHook<K, V>> {
        self.hook.get().copied()
    }

    /// An entry the engine dropped by its own policy (capacity, or its ttl/tti): counted
    /// in `evictions`, and reported.
    pub(crate) fn evicted(&self, key: &K, value: &V, cause: EvictionCause) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.report(key, value, cause);
    }

    /// Reports an entry that left (not counted as an eviction).
    #[inline]
    pub(crate) fn report(&self, key: &K, value: &V, cause: EvictionCause) {
        if let Some(hook) = self.hook() {
            hook(key, value, cause);
        }
    }
}

/// quick_cache's eviction listener: entries dropped to make room.
impl<K, V> Lifecycle<K, Entry<V>> for Evictions<K, V> {
    type RequestState = ();

    fn on_evict(&self, _state: &mut (), key: K, entry: Entry<V>) {
        self.evicted(&key, &entry.value, EvictionCause::Capacity);
    }
}
