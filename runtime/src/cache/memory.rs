//! The in-memory cache behind `#[cached]`: lookups, single-flight loads, refresh-ahead,
//! stale-if-error, tags and statistics over a [`LocalStore`] engine.

use super::background;
use super::clock;
use super::config::{CacheConfig, Entry, Timing};
use super::eviction::{EvictionCause, Evictions};
use super::expiry::Lifetime;
use super::fence::{Ticket, WriteFence};
use super::outcome::{Outcome, ReturnKind};
use super::quick::QuickStore;
use super::registry::{self, BoxFuture, RegisteredCache};
use super::soft_timeout;
use super::stats::{CacheStats, Counters};
use super::status::CacheStatus;
use super::store::{Claim, LoadGuard, LocalStore};
use super::tags::TagIndex;
use crate::perf::span::record_lookup;
use std::borrow::Borrow;
use std::future::Future;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

/// An in-memory cache of `K → V`: what `{fn}_cache()` returns for `store = memory`.
///
/// `S` is the engine: [`QuickStore`] (quick_cache, the default) or
/// [`MokaStore`](super::MokaStore) for caches with a time to idle.
///
/// ```
/// #[memotrace::cached(ttl = "10m")]
/// fn double(x: u64) -> u64 { x * 2 }
///
/// assert_eq!(double(21), 42);
/// assert_eq!(double(21), 42);
/// let stats = double_cache().stats();
/// assert_eq!((stats.hits, stats.misses, stats.loads), (1, 1, 1));
/// double_cache().clear();
/// assert_eq!(double_cache().stats().entries, 0);
/// ```
pub struct MemoryCache<K, V, S = QuickStore<K, V>> {
    store: S,
    config: CacheConfig,
    timing: Timing,
    counters: Counters,
    tags: Option<TagIndex<K>>,
    next_sweep: AtomicU64,
    /// Orders loads against invalidations and writes: a load that was in flight across
    /// one does not store its (possibly older) value.
    fence: WriteFence,
    /// Where the engine reports entries leaving, and the `on_evict` hook.
    evictions: Evictions<K, V>,
    _types: PhantomData<fn() -> (K, V)>,
}

/// What a lookup found, in every store: `R` is the store's claimed refresh, `L` its
/// load right (the associated types of the store's `CacheStore` implementation).
pub enum Lookup<V, R, L> {
    /// A fresh value.
    Hit(V),
    /// A fresh value whose background refresh this caller claimed.
    Refresh(V, R),
    /// No fresh value: this caller loads it.
    Load(L),
}

/// What a [`MemoryCache`] lookup found.
pub(crate) type MemoryLookup<K, V, S> = Lookup<V, Refresh<K, V, S>, Load<K, V, S>>;

/// The right to load one key after a miss; concurrent callers of the key wait for it.
/// Dropped without [`Load::complete`] (panic, cancelled future), it wakes the waiters and
/// one of them loads in turn.
pub struct Load<K: 'static, V: 'static, S: LocalStore<K, V>> {
    cache: &'static MemoryCache<K, V, S>,
    guard: Option<S::Guard<'static>>,
    key: Option<K>,
    previous: Option<Entry<V>>,
    ticket: Ticket,
}

/// The claimed background refresh of one due entry.
pub struct Refresh<K: 'static, V: 'static, S: LocalStore<K, V>> {
    cache: &'static MemoryCache<K, V, S>,
    key: K,
    ticket: Ticket,
}

/// A memory cache whose engine is made by `build` (from the config and where it reports
/// evictions): `max_weight` caches, for the expansion through `__private`.
pub fn memory_with_store<K, V, S>(
    config: CacheConfig,
    build: impl FnOnce(&CacheConfig, Evictions<K, V>) -> S,
) -> MemoryCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalStore<K, V>,
{
    MemoryCache::with_store(config, build)
}

impl<K, V, S> MemoryCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalStore<K, V>,
{
    /// Builds a cache; [`MemoryCache::register`] makes it `'static` and visible to
    /// [`registry()`](super::registry) and [`invalidate_tag`](super::invalidate_tag).
    pub fn new(config: CacheConfig) -> Self {
        Self::with_store(config, S::build)
    }

    /// [`MemoryCache::new`] over an engine made by `build`, from the config and where it
    /// reports evictions.
    pub(crate) fn with_store(
        config: CacheConfig,
        build: impl FnOnce(&CacheConfig, Evictions<K, V>) -> S,
    ) -> Self {
        let timing = config.timing();
        if timing.expiring() || config.tagged {
            clock::start();
        }
        let counters = Counters::default();
        let evictions = Evictions::new(counters.evictions.clone());
        let store = build(&config, evictions.clone());
        Self {
            store,
            evictions,
            tags: config.tagged.then(TagIndex::new),
            next_sweep: AtomicU64::new(0),
            fence: WriteFence::new(),
            timing,
            config,
            counters,
            _types: PhantomData,
        }
    }

    /// Calls `hook` with the key, the value and the [`EvictionCause`] of every entry
    /// that leaves the cache: dropped to make room, expired (swept once past its ttl and
    /// stale window, or by moka's ttl and tti), invalidated (`invalidate`, tags,
    /// `clear`), or replaced by a write or a background refresh. It runs on the thread
    /// that caused it, possibly while the engine holds a lock: keep it short and do not
    /// call the cache from it. The first hook set stays.
    #[must_use]
    pub fn on_evict(self, hook: fn(&K, &V, EvictionCause)) -> Self {
        self.set_on_evict(hook);
        self
    }

    pub(crate) fn set_on_evict(&self, hook: fn(&K, &V, EvictionCause)) {
        self.evictions.set_hook(hook);
    }

    /// Leaks the cache into a `&'static` and adds it to the registry.
    pub fn register(self) -> &'static Self {
        let cache: &'static Self = Box::leak(Box::new(self));
        registry::register(cache);
        cache
    }

    /// Looks `key` up: a fresh value, or the right to load it (blocking while another
    /// thread loads the same key). Always inlined: in the cached fn, a hit's `Lookup` is
    /// built where the fn matches on it, in registers; a call would return it in memory.
    #[inline(always)]
    pub(crate) fn lookup<Q>(&'static self, key: &Q) -> MemoryLookup<K, V, S>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match self.fresh(key) {
            Some((value, due)) => self.found(key, value, due),
            None => self.claim_after_miss(key),
        }
    }

    /// The miss half of [`MemoryCache::lookup`], out of line so that the hit half is
    /// small enough to be inlined into every cached fn.
    #[inline(never)]
    fn claim_after_miss<Q>(&'static self, key: &Q) -> MemoryLookup<K, V, S>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.counters.misses.incr();
        record_lookup(&self.config, false);
        self.claimed(key, self.store.claim(key, clock::now_ms()))
    }

    /// [`MemoryCache::lookup`] for async fns: waits for a concurrent load without
    /// blocking the thread.
    #[inline]
    pub(crate) async fn lookup_async<Q>(&'static self, key: &Q) -> MemoryLookup<K, V, S>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + Sync + ?Sized,
    {
        if let Some((value, due)) = self.fresh(key) {
            return self.found(key, value, due);
        }
        self.counters.misses.incr();
        record_lookup(&self.config, false);
        let claim = self.store.claim_async(key, clock::now_ms()).await;
        self.claimed(key, claim)
    }

    /// The fresh value for `key` (counted as a hit), and whether its refresh is due.
    /// Plain data, not a [`Lookup`]: each caller builds its lookup in its own return
    /// slot, so a hit does not copy a whole `Lookup` from one stack slot to another.
    #[inline]
    fn fresh<Q>(&'static self, key: &Q) -> Option<(V, bool)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entry = self.store.get(key)?;
        let now = clock::now_ms();
        if !entry.is_fresh(now) {
            return None;
        }
        self.counters.hits.incr();
        record_lookup(&self.config, true);
        Some((entry.value, entry.refresh_at <= now))
    }

    /// The lookup of a fresh value: a hit, or the claim of its due refresh.
    #[inline]
    fn found<Q>(&'static self, key: &Q, value: V, refresh_due: bool) -> MemoryLookup<K, V, S>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if refresh_due {
            self.refresh_due(value, key)
        } else {
            Lookup::Hit(value)
        }
    }

    #[cold]
    fn refresh_due<Q>(&'static self, value: V, key: &Q) -> MemoryLookup<K, V, S>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if self.store.claim_refresh(key, clock::now_ms()) {
            Lookup::Refresh(
                value,
                Refresh {
                    cache: self,
                    key: key.to_owned(),
                    ticket: self.fence.ticket(key),
                },
            )
        } else {
            Lookup::Hit(value)
        }
    }

    fn claimed<Q>(
        &'static self,
        key: &Q,
        claim: Claim<V, S::Guard<'static>>,
    ) -> MemoryLookup<K, V, S>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match claim {
            Claim::Ready(entry) => Lookup::Hit(entry.value),
            Claim::Load { guard, previous } => {
                Counters::bump(&self.counters.loads);
                // Kept for the tag index, and for a load that goes on in the background
                // after the soft timeout.
                let keep_key = self.tags.is_some() || self.config.timeout.is_some();
                Lookup::Load(Load {
                    cache: self,
                    guard: Some(guard),
                    key: keep_key.then(|| key.to_owned()),
                    previous,
                    ticket: self.fence.ticket(key),
                })
            }
        }
    }

    /// The fresh value for `key`, without loading or counting.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.store
            .get(key)
            .filter(|e| e.is_fresh(clock::now_ms()))
            .map(|e| e.value)
    }

    /// Stores `value` for `key` now (write-through), with the cache's ttl and `tags`.
    pub fn insert(&self, key: K, value: V, tags: Vec<String>) {
        self.insert_for(key, value, Lifetime::Default, tags);
    }

    /// Stores `value` for `key` now for `lifetime` (write-through); drops the key's entry
    /// instead when the lifetime is [`Lifetime::Skip`]. False then.
    pub(crate) fn insert_for(
        &self,
        key: K,
        value: V,
        lifetime: Lifetime,
        tags: Vec<String>,
    ) -> bool {
        if lifetime == Lifetime::Skip {
            self.invalidate(&key);
            return false;
        }
        let now = clock::now_ms();
        let entry = self.timing.entry(value, now, lifetime);
        self.fence
            .write_key(&key, || self.store_entry(key.clone(), entry, tags));
        self.sweep_if_due(now);
        true
    }

    /// Stores `value` for `key` (for `lifetime`, with `tags`) unless an invalidation or
    /// write of the key came after `ticket` was taken; true when stored.
    #[cfg(feature = "redis")]
    pub(crate) fn insert_if_current(
        &self,
        ticket: Ticket,
        key: K,
        value: V,
        lifetime: Lifetime,
        tags: Vec<String>,
    ) -> bool {
        let now = clock::now_ms();
        let entry = self.timing.entry(value, now, lifetime);
        let stored = self
            .fence
            .store_if_current(ticket, || self.store_entry(key, entry, tags));
        self.sweep_if_due(now);
        stored
    }

    /// Drops the entry for `key`; true when there was one.
    pub fn invalidate<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let removed = self.fence.write_key(key, || self.store.remove(key));
        if removed {
            Counters::bump(&self.counters.invalidations);
        }
        removed
    }

    /// Drops every entry carrying `tag` in this cache; returns how many.
    pub fn invalidate_tag_now(&self, tag: &str) -> u64 {
        let Some(tags) = &self.tags else { return 0 };
        // Every stripe: a load in flight may carry the tag without being indexed yet.
        let dropped = self.fence.write_all(|| {
            tags.take(tag)
                .iter()
                .filter(|key| self.store.remove(*key))
                .count() as u64
        });
        self.counters
            .invalidations
            .fetch_add(dropped, Ordering::Relaxed);
        dropped
    }

    /// Drops every entry.
    pub fn clear(&self) {
        let held = self.fence.write_all(|| {
            let held = self.store.entry_count();
            self.store.clear();
            if let Some(tags) = &self.tags {
                tags.clear();
            }
            held
        });
        self.counters
            .invalidations
            .fetch_add(held, Ordering::Relaxed);
    }

    /// Drops every entry and sets the statistics' counters back to 0.
    pub fn clear_and_reset_stats(&self) {
        self.clear();
        self.counters.reset();
    }

    /// The cache's statistics now.
    pub fn stats(&self) -> CacheStats {
        let mut stats = self
            .counters
            .snapshot(self.store.entry_count(), self.config.max_capacity);
        stats.too_heavy = self.store.too_heavy();
        stats
    }

    /// The settings the cache was built with.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// Counts a call that skipped the cache (`when` was false).
    pub(crate) fn record_bypass(&self) {
        Counters::bump(&self.counters.bypassed);
    }

    /// Indexes the tags, then stores: both under the fence, so a tag invalidation sees
    /// the entry with its tags or not at all.
    fn store_entry(&self, key: K, entry: Entry<V>, tags: Vec<String>) {
        if let Some(index) = &self.tags {
            index.add(&key, tags);
        }
        self.store.insert(key, entry);
    }

    /// At most once per sweep interval (ttl plus stale window, between 1 s and 60 s; 60 s
    /// without a ttl): drops dead entries (past ttl and stale window), so expired entries
    /// that are never read again do not hold capacity, and forgets tagged keys the cache
    /// no longer holds (evicted or expired), so the tag index stays bounded too.
    fn sweep_if_due(&self, now: u64) {
        if !self.timing.expiring() && self.tags.is_none() {
            return;
        }
        let due = self.next_sweep.load(Ordering::Relaxed);
        let interval = self.timing.ttl.map_or(60_000, |ttl| {
            (ttl + self.timing.stale_for).clamp(1_000, 60_000)
        });
        if now < due
            || self
                .next_sweep
                .compare_exchange(due, now + interval, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        if self.timing.expiring() {
            self.store.drop_dead(|_, entry| now < entry.stale_until);
        }
        if let Some(tags) = &self.tags {
            // Quiesced: a load between indexing its tags and storing would lose its links.
            self.fence
                .quiesced(|| tags.prune(&|key| self.store.contains(key)));
        }
    }
}

impl<K, V, S> Load<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalStore<K, V>,
{
    /// Stores what the loader returned (unless `skip_if` says not to) and hands it back.
    /// A failure answers with the expired value instead while `stale_if_error` allows.
    pub(crate) fn complete<A, R>(
        self,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
    ) -> R
    where
        A: ReturnKind<R, Value = V>,
    {
        self.settle(kind, returned, skip_if, tags).0
    }

    /// Runs `load` and completes with its value, as [`Load::complete`]. With a soft
    /// `timeout` and a stale value held (`stale_if_error`), a load that takes longer
    /// answers the stale value instead: it answers (here, to this key's waiters, and to
    /// later calls, up to the end of its stale window) while the load goes on in the
    /// background, so no call starts a second load of the key meanwhile; the load stores
    /// its value when it lands, unless an invalidation or a write of the key came since.
    /// A background load that fails is counted and logged; the stale value then answers
    /// for the fail-safe throttle, counted from the failure, and then a call loads again.
    pub(crate) async fn load_or_stale<A, R>(
        mut self,
        kind: A,
        load: impl Future<Output = R> + Send + 'static,
        skip_if: impl FnOnce(&V) -> bool + Send + 'static,
        tags: Vec<String>,
    ) -> (R, CacheStatus)
    where
        A: ReturnKind<R, Value = V>,
    {
        let cache = self.cache;
        let now = clock::now_ms();
        let stale_held = self.previous.as_ref().is_some_and(|p| now < p.stale_until);
        let limit = cache.config.timeout.filter(|_| stale_held);
        let pending = match soft_timeout::within(limit, load).await {
            Ok(returned) => return self.settle(kind, returned, skip_if, tags),
            Err(pending) => pending,
        };
        let (Some(guard), Some(stale), Some(key)) =
            (self.guard.take(), self.previous.take(), self.key.take())
        else {
            unreachable!("a soft timeout needs the load right, a stale value and the key")
        };
        soft_timeout::record(&cache.counters, cache.config.name);
        let value = stale.value.clone();
        let mut answering = stale.clone();
        answering.answer_while_loading();
        cache
            .fence
            .store_if_current(self.ticket, || guard.fill(answering));
        let landing = Refresh {
            cache,
            key,
            ticket: self.ticket,
        };
        background::spawn(async move {
            landing.land_or_throttle(kind, pending.await, skip_if, tags, stale);
        });
        (kind.wrap(value), CacheStatus::Stale)
    }

    /// [`Load::complete`], with how the call was answered: `Stale` when a failure was
    /// answered with the expired value.
    fn settle<A, R>(
        mut self,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
    ) -> (R, CacheStatus)
    where
        A: ReturnKind<R, Value = V>,
    {
        let cache = self.cache;
        let guard = self.guard.take().expect("guard present until completed");
        match kind.classify(&returned) {
            Outcome::Value(value) => {
                // Superseded by an invalidation during the load: answer, but do not store.
                if !skip_if(&value) {
                    let now = clock::now_ms();
                    let lifetime = kind.lifetime(&value);
                    let entry = cache.timing.entry(value, now, lifetime);
                    let key = self.key.take();
                    cache.fence.store_if_current(self.ticket, || {
                        if let (Some(index), Some(key)) = (&cache.tags, key) {
                            index.add(&key, tags);
                        }
                        guard.fill(entry);
                    });
                    cache.sweep_if_due(now);
                }
                (returned, CacheStatus::Miss)
            }
            Outcome::Error => {
                Counters::bump(&cache.counters.load_errors);
                let now = clock::now_ms();
                match self.previous.take().filter(|p| now < p.stale_until) {
                    Some(mut stale) => {
                        Counters::bump(&cache.counters.stale_served);
                        tracing::debug!(cache = cache.config.name, "cache_stale_served");
                        let value = stale.value.clone();
                        // Put back (unless invalidated meanwhile), answering as fresh for
                        // the fail-safe throttle, then for later failed loads.
                        cache.timing.fail_safe(&mut stale, now);
                        cache
                            .fence
                            .store_if_current(self.ticket, || guard.fill(stale));
                        (kind.wrap(value), CacheStatus::Stale)
                    }
                    None => (returned, CacheStatus::Miss),
                }
            }
            Outcome::Skip => (returned, CacheStatus::Miss),
        }
    }
}

impl<K, V, S: LocalStore<K, V>> Load<K, V, S> {
    /// This load's view of invalidations, for a value derived from the same read that is
    /// stored later through [`MemoryCache::insert_if_current`].
    #[cfg(feature = "redis")]
    pub(crate) fn ticket(&self) -> Ticket {
        self.ticket
    }
}

impl<K, V, S: LocalStore<K, V>> Drop for Load<K, V, S> {
    /// A load that did not complete (panic, cancelled future) wakes the waiters; the
    /// expired entry it replaced is put back while `stale_if_error` may still serve it.
    fn drop(&mut self) {
        let Some(guard) = self.guard.take() else {
            return;
        };
        if std::thread::panicking() {
            Counters::bump(&self.cache.counters.load_errors);
        }
        let now = clock::now_ms();
        if let Some(previous) = self.previous.take().filter(|p| now < p.stale_until) {
            self.cache
                .fence
                .store_if_current(self.ticket, || guard.fill(previous));
        }
    }
}

impl<K, V, S> Refresh<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalStore<K, V>,
{
    /// Runs `load` on a background thread and stores its value; the caller goes on with
    /// the current one.
    pub(crate) fn spawn<A, R>(
        self,
        kind: A,
        load: impl FnOnce() -> R + Send + 'static,
        skip_if: impl FnOnce(&V) -> bool + Send + 'static,
        tags: Vec<String>,
    ) where
        A: ReturnKind<R, Value = V>,
    {
        background::run(move || self.finish(kind, load(), skip_if, tags));
    }

    /// Runs `load` as a background task (tokio's when a runtime is current, else on a
    /// thread) and stores its value; the caller goes on with the current one.
    pub(crate) fn spawn_async<A, R>(
        self,
        kind: A,
        load: impl Future<Output = R> + Send + 'static,
        skip_if: impl FnOnce(&V) -> bool + Send + 'static,
        tags: Vec<String>,
    ) where
        A: ReturnKind<R, Value = V>,
    {
        background::spawn(async move { self.finish(kind, load.await, skip_if, tags) });
    }

    fn finish<A, R>(self, kind: A, returned: R, skip_if: impl FnOnce(&V) -> bool, tags: Vec<String>)
    where
        A: ReturnKind<R, Value = V>,
    {
        Counters::bump(&self.cache.counters.loads);
        self.land(kind, returned, skip_if, tags);
    }

    /// Stores what a background load returned, unless an invalidation or a write of the
    /// key came after the load began; a failure is counted and logged. True when a
    /// value was stored.
    fn land<A, R>(
        self,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
    ) -> bool
    where
        A: ReturnKind<R, Value = V>,
    {
        let cache = self.cache;
        match kind.classify(&returned) {
            Outcome::Value(value) if !skip_if(&value) => {
                let now = clock::now_ms();
                let lifetime = kind.lifetime(&value);
                let entry = cache.timing.entry(value, now, lifetime);
                let key = self.key;
                let stored = cache
                    .fence
                    .store_if_current(self.ticket, || cache.store_entry(key, entry, tags));
                if stored {
                    Counters::bump(&cache.counters.refreshes);
                }
                cache.sweep_if_due(now);
                stored
            }
            Outcome::Error => {
                Counters::bump(&cache.counters.load_errors);
                tracing::warn!(cache = cache.config.name, "cache_refresh_failed");
                false
            }
            Outcome::Value(_) | Outcome::Skip => false,
        }
    }

    /// Lands a load that went on in the background after the soft timeout (see
    /// [`Refresh::land`]). One that stores nothing (a failure, or a value not to cache)
    /// puts `stale` back answering for the fail-safe throttle, counted from now, unless
    /// an invalidation or a write of the key came since.
    fn land_or_throttle<A, R>(
        self,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
        mut stale: Entry<V>,
    ) where
        A: ReturnKind<R, Value = V>,
    {
        let (cache, key, ticket) = (self.cache, self.key.clone(), self.ticket);
        if self.land(kind, returned, skip_if, tags) {
            return;
        }
        let now = clock::now_ms();
        if now < stale.stale_until {
            cache.timing.fail_safe(&mut stale, now);
            cache
                .fence
                .store_if_current(ticket, || cache.store.insert(key, stale));
        }
    }
}

impl<K, V, S> RegisteredCache for MemoryCache<K, V, S>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    S: LocalStore<K, V>,
{
    fn name(&self) -> &'static str {
        self.config.name
    }

    fn store(&self) -> &'static str {
        if self.config.tti.is_some() {
            "moka"
        } else {
            "memory"
        }
    }

    fn stats(&self) -> CacheStats {
        MemoryCache::stats(self)
    }

    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, u64> {
        let dropped = self.invalidate_tag_now(tag);
        Box::pin(std::future::ready(dropped))
    }
}
