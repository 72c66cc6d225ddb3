//! The storage engines behind an in-memory cache, and the load-claim protocol they share.

use super::config::Entry;
use super::eviction::Evictions;
use std::borrow::Borrow;
use std::future::Future;
use std::hash::Hash;

/// What a miss gets from the store.
pub enum Claim<V, G> {
    /// A fresh entry: found under the store's lock, or loaded by a concurrent caller this
    /// one waited for.
    Ready(Entry<V>),
    /// This caller loads; concurrent callers of the key wait until `guard` is filled or
    /// dropped. `previous` is the expired entry this load replaces, if any.
    Load {
        /// The load right.
        guard: G,
        /// The expired entry this load replaces, if any.
        previous: Option<Entry<V>>,
    },
}

/// The right to fill one key after a miss. Dropping it unfilled wakes the waiters, and
/// one of them loads in turn.
pub trait LoadGuard<V> {
    /// Stores the entry and wakes the waiters with it.
    fn fill(self, entry: Entry<V>);
}

/// An engine that holds `(value, expiry)` entries in memory with single-flight misses.
///
/// Keys are looked up by any borrowed form `Q` (`str` for `String` keys, `[T]` for
/// `Vec<T>`), so a hit never allocates.
///
/// Sealed: implemented by [`QuickStore`](super::QuickStore) and
/// [`MokaStore`](super::MokaStore) only.
pub trait LocalStore<K, V>: sealed::Sealed + Send + Sync + Sized + 'static {
    /// The load right this engine hands out.
    type Guard<'a>: LoadGuard<V> + Send
    where
        Self: 'a;

    /// Builds the engine; it reports entries leaving (and counts evictions) to
    /// `evictions`.
    fn build(config: &super::CacheConfig, evictions: Evictions<K, V>) -> Self;

    /// The entry for `key`, fresh or not.
    fn get<Q>(&self, key: &Q) -> Option<Entry<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized;

    /// After a miss: a fresh entry, or the right to load (blocking while another thread
    /// loads the key).
    fn claim<Q>(&self, key: &Q, now: u64) -> Claim<V, Self::Guard<'_>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized;

    /// [`LocalStore::claim`] for async callers: waits without blocking the thread.
    fn claim_async<'a, Q>(
        &'a self,
        key: &Q,
        now: u64,
    ) -> impl Future<Output = Claim<V, Self::Guard<'a>>> + Send
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + Sync + ?Sized;

    /// Claims the background refresh of a due entry: true for exactly one caller per
    /// entry. An engine that cannot refresh answers false (moka: `refresh_ahead` is
    /// ttl-based and the macro refuses it together with `tti`).
    fn claim_refresh<Q>(&self, key: &Q, now: u64) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized;

    /// Whether `key` is held, without counting as a use (no recency or idle-timer update).
    fn contains(&self, key: &K) -> bool;

    /// Stores `entry` under `key`, replacing any entry (reported as replaced).
    fn insert(&self, key: K, entry: Entry<V>);

    /// Drops `key`'s entry (reported as invalidated); whether there was one.
    fn remove<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized;

    /// Drops every entry (reported as invalidated).
    fn clear(&self);

    /// How many entries are held (the engine's estimate).
    fn entry_count(&self) -> u64;

    /// Values not stored because they weigh more than the whole `max_weight`.
    fn too_heavy(&self) -> u64 {
        0
    }

    /// Keeps only the entries `keep` accepts; the others are dead (past their ttl and
    /// stale window) and reported as expired.
    fn drop_dead(&self, keep: impl Fn(&K, &Entry<V>) -> bool);
}

pub(super) mod sealed {
    /// Keeps [`LocalStore`](super::LocalStore) to this crate's engines.
    pub trait Sealed {}

    use super::super::weigh::EngineParts;

    impl<K, V, P: EngineParts<K, V>> Sealed for super::super::QuickStore<K, V, P> {}
    impl<K, V> Sealed for super::super::MokaStore<K, V> {}
}
