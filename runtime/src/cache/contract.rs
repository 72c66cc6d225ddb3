//! The store contract `#[cached]` expansions are written against.
//!
//! Expansions call stores only through these sealed traits (re-exported from
//! `__private`), never through inherent methods: the traits are the whole surface the
//! macro crate depends on, and a store change that breaks it fails this crate's own
//! build at the impl, not a user's build at an expansion. Every store implements both
//! flavours: `*_async` for async fns (awaited), the plain ones for sync fns (they block
//! the calling thread: memory stores while another thread loads the key, shared stores
//! for the round trip, on the runtime memotrace owns for its connections).
//!
//! The key's borrowed form is a parameter of [`CacheLookup`] only: the other operations
//! do not take the key, so a parameter there could not be inferred at the call.

use super::memory::{Load, Lookup, Refresh};
use super::outcome::ReturnKind;
use super::status::CacheStatus;
use super::store::LocalStore;
use super::{CacheConfig, MemoryCache};
use std::borrow::Borrow;
use std::future::{ready, Future};
use std::hash::Hash;

mod sealed {
    pub trait Sealed {}
}

/// What a `#[cached]` expansion does with a store once it has looked a key up: count
/// a bypass, complete a load, run a claimed refresh.
#[doc(hidden)]
pub trait CacheStore: sealed::Sealed + Sync + 'static {
    /// The cached value.
    type Value;
    /// The right to load one key after a miss.
    type Load;
    /// A claimed background refresh of one due entry.
    type Refresh;

    /// Builds the cache from its config and registers it (see `cell::CacheCell`).
    fn build(config: CacheConfig) -> &'static Self
    where
        Self: Sized;

    /// Counts a call that skipped the cache (`when` was false).
    fn record_bypass(&self);

    /// Stores what the loader returned (unless `skip_if` says not to) and hands it back,
    /// or the expired value while `stale_if_error` allows after a failure.
    fn complete<A, R>(
        &'static self,
        load: Self::Load,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&Self::Value) -> bool,
        tags: Vec<String>,
    ) -> R
    where
        A: ReturnKind<R, Value = Self::Value>;

    /// [`CacheStore::complete`] for async fns.
    fn complete_async<A, R>(
        &'static self,
        load: Self::Load,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&Self::Value) -> bool,
        tags: Vec<String>,
    ) -> impl Future<Output = R>
    where
        A: ReturnKind<R, Value = Self::Value>;

    /// With a soft `timeout` (async fns only): runs `loader` and completes with its
    /// value, or answers the stale value once the load outlasts the timeout and lets it
    /// finish in the background.
    fn load_or_stale<A, R>(
        &'static self,
        load: Self::Load,
        kind: A,
        loader: impl Future<Output = R> + Send + 'static,
        skip_if: impl FnOnce(&Self::Value) -> bool + Send + 'static,
        tags: Vec<String>,
    ) -> impl Future<Output = (R, CacheStatus)>
    where
        A: ReturnKind<R, Value = Self::Value>,
        R: Send + 'static;

    /// Runs the sync `load` in the background and stores its value.
    fn refresh<A, R>(
        &'static self,
        refresh: Self::Refresh,
        kind: A,
        load: impl FnOnce() -> R + Send + 'static,
        skip_if: impl FnOnce(&Self::Value) -> bool + Send + 'static,
        tags: Vec<String>,
    ) where
        A: ReturnKind<R, Value = Self::Value>;

    /// Runs the future `load` in the background and stores its value.
    fn refresh_async<A, R>(
        &'static self,
        refresh: Self::Refresh,
        kind: A,
        load: impl Future<Output = R> + Send + 'static,
        skip_if: impl FnOnce(&Self::Value) -> bool + Send + 'static,
        tags: Vec<String>,
    ) where
        A: ReturnKind<R, Value = Self::Value>;
}

/// Looking a key up by its borrowed form `Q`: a fresh value, a fresh value with a claimed
/// refresh, or the right to load.
#[doc(hidden)]
pub trait CacheLookup<Q: ?Sized>: CacheStore {
    /// Looks `key` up, blocking while another caller loads it.
    fn lookup(&'static self, key: &Q) -> Lookup<Self::Value, Self::Refresh, Self::Load>;

    /// Looks `key` up, waiting for a concurrent load without blocking the thread.
    fn lookup_async(
        &'static self,
        key: &Q,
    ) -> impl Future<Output = Lookup<Self::Value, Self::Refresh, Self::Load>>
    where
        Q: Sync;

    /// `{fn}_put`: stores `value` for `key` (write-through) for the lifetime `kind` gives
    /// it; a value whose lifetime says "do not cache" drops the key's entry instead.
    /// False when nothing was stored.
    fn put<A, R>(&'static self, kind: A, key: &Q, value: Self::Value, tags: Vec<String>) -> bool
    where
        A: ReturnKind<R, Value = Self::Value>;

    /// [`CacheLookup::put`] for async companions.
    fn put_async<A, R>(
        &'static self,
        kind: A,
        key: &Q,
        value: Self::Value,
        tags: Vec<String>,
    ) -> impl Future<Output = bool>
    where
        A: ReturnKind<R, Value = Self::Value>;
}

impl<K, V, S> sealed::Sealed for MemoryCache<K, V, S> {}

impl<K, V, S> CacheStore for MemoryCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalStore<K, V>,
{
    type Value = V;
    type Load = Load<K, V, S>;
    type Refresh = Refresh<K, V, S>;

    fn build(config: CacheConfig) -> &'static Self {
        MemoryCache::new(config).register()
    }

    #[inline]
    fn record_bypass(&self) {
        MemoryCache::record_bypass(self);
    }

    fn complete<A, R>(
        &'static self,
        load: Self::Load,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
    ) -> R
    where
        A: ReturnKind<R, Value = V>,
    {
        load.complete(kind, returned, skip_if, tags)
    }

    /// Completing a memory load never waits: the answer is ready when this returns.
    fn complete_async<A, R>(
        &'static self,
        load: Self::Load,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
    ) -> impl Future<Output = R>
    where
        A: ReturnKind<R, Value = V>,
    {
        ready(load.complete(kind, returned, skip_if, tags))
    }

    fn refresh<A, R>(
        &'static self,
        refresh: Self::Refresh,
        kind: A,
        load: impl FnOnce() -> R + Send + 'static,
        skip_if: impl FnOnce(&V) -> bool + Send + 'static,
        tags: Vec<String>,
    ) where
        A: ReturnKind<R, Value = V>,
    {
        refresh.spawn(kind, load, skip_if, tags);
    }

    fn load_or_stale<A, R>(
        &'static self,
        load: Self::Load,
        kind: A,
        loader: impl Future<Output = R> + Send + 'static,
        skip_if: impl FnOnce(&V) -> bool + Send + 'static,
        tags: Vec<String>,
    ) -> impl Future<Output = (R, CacheStatus)>
    where
        A: ReturnKind<R, Value = V>,
        R: Send + 'static,
    {
        load.load_or_stale(kind, loader, skip_if, tags)
    }

    fn refresh_async<A, R>(
        &'static self,
        refresh: Self::Refresh,
        kind: A,
        load: impl Future<Output = R> + Send + 'static,
        skip_if: impl FnOnce(&V) -> bool + Send + 'static,
        tags: Vec<String>,
    ) where
        A: ReturnKind<R, Value = V>,
    {
        refresh.spawn_async(kind, load, skip_if, tags);
    }
}

impl<K, V, S, Q> CacheLookup<Q> for MemoryCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static + Borrow<Q>,
    V: Clone + Send + Sync + 'static,
    S: LocalStore<K, V>,
    Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
{
    #[inline]
    fn lookup(&'static self, key: &Q) -> Lookup<V, Refresh<K, V, S>, Load<K, V, S>> {
        MemoryCache::lookup(self, key)
    }

    #[inline]
    fn lookup_async(
        &'static self,
        key: &Q,
    ) -> impl Future<Output = Lookup<V, Refresh<K, V, S>, Load<K, V, S>>>
    where
        Q: Sync,
    {
        MemoryCache::lookup_async(self, key)
    }

    fn put<A, R>(&'static self, kind: A, key: &Q, value: V, tags: Vec<String>) -> bool
    where
        A: ReturnKind<R, Value = V>,
    {
        let lifetime = kind.lifetime(&value);
        MemoryCache::insert_for(self, key.to_owned(), value, lifetime, tags)
    }

    fn put_async<A, R>(
        &'static self,
        kind: A,
        key: &Q,
        value: V,
        tags: Vec<String>,
    ) -> impl Future<Output = bool>
    where
        A: ReturnKind<R, Value = V>,
    {
        ready(CacheLookup::put(self, kind, key, value, tags))
    }
}

/// The shared stores: Redis, and Redis behind an in-process L1.
#[cfg(feature = "redis")]
mod shared {
    use super::{sealed, CacheConfig, CacheLookup, CacheStatus, CacheStore, Lookup, ReturnKind};
    use crate::cache::blocking::wait;
    use crate::cache::redis::cache::{RedisLoad, RedisRefresh};
    use crate::cache::redis::tiered::{TieredLoad, TieredRefresh};
    use crate::cache::redis::{Codec, RedisCache, RedisValue, TieredCache};
    use std::future::Future;

    /// Implements the contract for a shared store from its inherent async operations;
    /// the sync forms wait for them (see `cache::blocking`), and a sync refresh runs
    /// as a background task like an async one.
    macro_rules! shared_store {
        ($cache:ident, $load:ident, $refresh:ident) => {
            impl<V: RedisValue, C: Codec> sealed::Sealed for $cache<V, C> {}

            impl<V: RedisValue, C: Codec> CacheStore for $cache<V, C> {
                type Value = V;
                type Load = $load<V, C>;
                type Refresh = $refresh<V, C>;

                fn build(config: CacheConfig) -> &'static Self {
                    $cache::new(config).register()
                }

                #[inline]
                fn record_bypass(&self) {
                    $cache::record_bypass(self);
                }

                fn complete<A, R>(
                    &'static self,
                    load: Self::Load,
                    kind: A,
                    returned: R,
                    skip_if: impl FnOnce(&V) -> bool,
                    tags: Vec<String>,
                ) -> R
                where
                    A: ReturnKind<R, Value = V>,
                {
                    wait(load.complete(kind, returned, skip_if, tags))
                }

                fn complete_async<A, R>(
                    &'static self,
                    load: Self::Load,
                    kind: A,
                    returned: R,
                    skip_if: impl FnOnce(&V) -> bool,
                    tags: Vec<String>,
                ) -> impl Future<Output = R>
                where
                    A: ReturnKind<R, Value = V>,
                {
                    load.complete(kind, returned, skip_if, tags)
                }

                fn load_or_stale<A, R>(
                    &'static self,
                    load: Self::Load,
                    kind: A,
                    loader: impl Future<Output = R> + Send + 'static,
                    skip_if: impl FnOnce(&V) -> bool + Send + 'static,
                    tags: Vec<String>,
                ) -> impl Future<Output = (R, CacheStatus)>
                where
                    A: ReturnKind<R, Value = V>,
                    R: Send + 'static,
                {
                    load.load_or_stale(kind, loader, skip_if, tags)
                }

                fn refresh<A, R>(
                    &'static self,
                    refresh: Self::Refresh,
                    kind: A,
                    load: impl FnOnce() -> R + Send + 'static,
                    skip_if: impl FnOnce(&V) -> bool + Send + 'static,
                    tags: Vec<String>,
                ) where
                    A: ReturnKind<R, Value = V>,
                {
                    refresh.spawn_async(kind, async move { load() }, skip_if, tags);
                }

                fn refresh_async<A, R>(
                    &'static self,
                    refresh: Self::Refresh,
                    kind: A,
                    load: impl Future<Output = R> + Send + 'static,
                    skip_if: impl FnOnce(&V) -> bool + Send + 'static,
                    tags: Vec<String>,
                ) where
                    A: ReturnKind<R, Value = V>,
                {
                    refresh.spawn_async(kind, load, skip_if, tags);
                }
            }

            impl<V: RedisValue, C: Codec> CacheLookup<str> for $cache<V, C> {
                fn lookup(&'static self, key: &str) -> Lookup<V, $refresh<V, C>, $load<V, C>> {
                    wait($cache::lookup_async(self, key))
                }

                #[inline]
                fn lookup_async(
                    &'static self,
                    key: &str,
                ) -> impl Future<Output = Lookup<V, $refresh<V, C>, $load<V, C>>> {
                    $cache::lookup_async(self, key)
                }

                fn put<A, R>(&'static self, kind: A, key: &str, value: V, tags: Vec<String>) -> bool
                where
                    A: ReturnKind<R, Value = V>,
                {
                    wait(CacheLookup::put_async(self, kind, key, value, tags))
                }

                fn put_async<A, R>(
                    &'static self,
                    kind: A,
                    key: &str,
                    value: V,
                    tags: Vec<String>,
                ) -> impl Future<Output = bool>
                where
                    A: ReturnKind<R, Value = V>,
                {
                    let lifetime = kind.lifetime(&value);
                    $cache::insert_for(self, key, value, lifetime, tags)
                }
            }
        };
    }

    shared_store!(RedisCache, RedisLoad, RedisRefresh);
    shared_store!(TieredCache, TieredLoad, TieredRefresh);
}
