//! `TieredCache`: the memory store as L1 in front of Redis L2 (`store = tiered`).

use super::bus::L1Listener;
use super::cache::{RedisCache, RedisLoad, RedisRefresh, RedisValue};
use super::codec::{Codec, JsonCodec};
use super::connection::{spawn_on_backend, RedisBackend};
use super::l1::L1Store;
use super::pubsub::{self, Message, Outgoing};
use crate::cache::config::CacheConfig;
use crate::cache::eviction::Evictions;
use crate::cache::expiry::{Lifetime, UntilUnixMs};
use crate::cache::fence::Ticket;
use crate::cache::memory::{Load, Lookup, MemoryCache};
use crate::cache::outcome::ReturnKind;
use crate::cache::registry::{self, BoxFuture, RegisteredCache};
use crate::cache::stats::CacheStats;
use crate::cache::{background, clock, CacheStatus, EvictionCause};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

type L1<V> = MemoryCache<String, V, L1Store<V>>;

/// An L1 miss that took longer than this waited for another caller's load.
const WAITED_MS: u64 = 2;

/// A memory L1 in front of a Redis L2: what `{fn}_cache()` returns for `store = tiered`.
///
/// An L1 hit is a memory hit (no network). An L1 miss looks in L2 (one `GET`) and keeps
/// the value in L1; an L2 miss loads under the distributed lock, writes L2, then L1.
/// Writes and invalidations are published on Redis pub/sub so other processes drop their
/// L1 copy. L1 entries live `min(l1_ttl, ttl)`, and never past their L2 entry's expiry;
/// refresh-ahead, stale-while-revalidate and stale-if-error act on L2. With
/// `max_staleness`, L1 is neither read nor filled while the invalidation channel has not
/// proved live for that long. Tag invalidation clears L1 whole (L1 does not know the
/// tags of entries it took from L2), here and in every process. With `max_weight`, L1 is
/// bounded by the weight of its values (the `weigher` sees the key as L1 holds it, a
/// `String`): a value heavier than the whole budget is not kept in L1 (counted in
/// `too_heavy` each time L1 refuses it) but is still written to L2, which answers it.
///
/// ```no_run
/// # async fn demo() {
/// #[memotrace::cached(store = tiered, key = "{day}", ttl = "1m")]
/// async fn visits(day: u32) -> u64 {
///     u64::from(day) * 7 // the query
/// }
///
/// assert_eq!(visits(3).await, 21); // loaded, stored in Redis and in memory
/// assert_eq!(visits(3).await, 21); // answered from memory
/// let cache = visits_cache(); // &'static TieredCache<u64>
/// assert_eq!(cache.stats().hits, 1);
/// cache.invalidate("3").await; // here, in Redis, and in every process's memory
/// # }
/// ```
pub struct TieredCache<V: RedisValue, C: Codec = JsonCodec> {
    l1: L1<V>,
    l2: RedisCache<V, C>,
    /// Bumped by every invalidation received from another process: a value read from L2
    /// before a message arrived is not put in L1 after it (it may be the old one).
    epoch: AtomicU64,
    /// `max_staleness` (ms), and when the invalidation channel last proved live (coarse
    /// clock ms; set by `register`).
    max_staleness: Option<(u64, Arc<AtomicU64>)>,
}

/// What a tiered lookup found: `Hit` from L1, or from L2 and now in L1 too; `Refresh`
/// from L2; `Load` when neither tier had a fresh value.
pub(crate) type TieredLookup<V, C = JsonCodec> = Lookup<V, TieredRefresh<V, C>, TieredLoad<V, C>>;

/// The right to load one key after a miss in both tiers.
pub struct TieredLoad<V: RedisValue, C: Codec = JsonCodec> {
    cache: &'static TieredCache<V, C>,
    key: String,
    /// `None` while L1 is not served (`max_staleness`).
    l1: Option<Load<String, V, L1Store<V>>>,
    l2: RedisLoad<V, C>,
    /// The cache's epoch before the loader ran: L1 keeps the value only if no
    /// invalidation came since.
    epoch: u64,
}

/// The claimed background refresh of one due L2 entry.
pub struct TieredRefresh<V: RedisValue, C: Codec = JsonCodec> {
    cache: &'static TieredCache<V, C>,
    key: String,
    l2: RedisRefresh<V, C>,
    /// Taken before L2 was read: the refreshed value goes to L1 only if no invalidation
    /// of the key came since.
    l1: Ticket,
}

/// `store = tiered` with `max_weight` (for the expansion, through `__private`): a tiered
/// cache on the default backend whose L1 engine is made by `build` (from the L1's config
/// and where it reports evictions).
pub fn tiered_with_store<V: RedisValue>(
    config: CacheConfig,
    build: impl FnOnce(&CacheConfig, Evictions<String, V>) -> L1Store<V>,
) -> TieredCache<V> {
    TieredCache::build(config, None, None, |l1_config| {
        MemoryCache::with_store(l1_config, build)
    })
}

impl<V: RedisValue, C: Codec> TieredCache<V, C> {
    /// A tiered cache on the default backend; L1 keeps entries as long as L2.
    pub fn new(config: CacheConfig) -> Self {
        Self::with_options(config, None, None)
    }

    /// A tiered cache on `backend`.
    pub fn with_backend(config: CacheConfig, backend: RedisBackend) -> Self {
        Self::with_options(config, Some(backend), None)
    }

    /// A tiered cache with an explicit backend (else the default) and an L1 time to live
    /// (capped at the cache's ttl; `None`: the cache's ttl).
    pub fn with_options(
        config: CacheConfig,
        backend: Option<RedisBackend>,
        l1_ttl: Option<Duration>,
    ) -> Self {
        Self::build(config, backend, l1_ttl, MemoryCache::new)
    }

    fn build(
        config: CacheConfig,
        backend: Option<RedisBackend>,
        l1_ttl: Option<Duration>,
        l1: impl FnOnce(CacheConfig) -> L1<V>,
    ) -> Self {
        let mut l1_config = CacheConfig::new(config.name).max_capacity(config.max_capacity);
        let ttl = match (l1_ttl, config.ttl) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(ttl) = ttl {
            l1_config = l1_config.ttl(ttl);
        }
        let l2 = match backend {
            Some(b) => RedisCache::with_backend(config, b),
            None => RedisCache::new(config),
        };
        // Tells a call that waited for another caller's load from one that did not.
        clock::start();
        Self {
            l1: l1(l1_config),
            l2,
            epoch: AtomicU64::new(0),
            max_staleness: None,
        }
    }

    /// Sets the distributed lock's lifetime (see [`RedisCache::lock_timeout`]).
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.l2 = self.l2.lock_timeout(timeout);
        self
    }

    /// Calls `hook` for every entry leaving L1 (see [`MemoryCache::on_evict`]); Redis
    /// drops L2 entries by its own policy, unreported.
    #[must_use]
    pub fn on_evict(self, hook: fn(&String, &V, EvictionCause)) -> Self {
        self.l1.set_on_evict(hook);
        self
    }

    /// Leaks the cache into a `&'static`, adds it to the registry and subscribes it to
    /// the invalidation channel.
    pub fn register(mut self) -> &'static Self {
        if let Some(bound) = self.l2.config().max_staleness {
            let ms = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
            self.max_staleness = Some((ms, pubsub::confirmed(self.l2.backend())));
        }
        let cache: &'static Self = Box::leak(Box::new(self));
        registry::register(cache);
        pubsub::listen(cache.l2.backend(), cache);
        cache
    }

    /// Resolves once this process listens to other processes' invalidations (bounded
    /// by `timeout`); true when it does. Useful before a test or a benchmark.
    pub async fn subscribed(&self, timeout: Duration) -> bool {
        pubsub::subscribed(self.l2.backend(), timeout).await
    }

    /// The L2 (Redis) half.
    pub fn l2(&self) -> &RedisCache<V, C> {
        &self.l2
    }

    /// The L1 (memory) half.
    pub fn l1(&self) -> &L1<V> {
        &self.l1
    }

    /// Looks `key` up in L1 (no network on a hit), then in L2, then claims the load.
    #[inline]
    pub(crate) async fn lookup_async(&'static self, key: &str) -> TieredLookup<V, C> {
        if self.l1_unconfirmed() {
            return self.lookup_l2_only(key).await;
        }
        let asked = clock::now_ms();
        let l1 = match self.l1.lookup_async(key).await {
            Lookup::Hit(v) | Lookup::Refresh(v, _) => return TieredLookup::Hit(v),
            Lookup::Load(load) => load,
        };
        // Waited for another caller's load (which did not keep its value): while Redis
        // is failing, L2 is skipped rather than waited for a second time.
        let waited = clock::now_ms() > asked + WAITED_MS;
        // The L1 load right is also the in-process single-flight over L2.
        let epoch = self.epoch.load(Ordering::Acquire);
        let fill = |l1: Load<String, V, L1Store<V>>, (v, until): (V, u64)| {
            if self.epoch.load(Ordering::Acquire) == epoch {
                l1.complete(
                    UntilUnixMs(until),
                    v,
                    crate::__private::store_all,
                    Vec::new(),
                )
            } else {
                // Invalidated meanwhile: answer, but do not keep a maybe-old value.
                v
            }
        };
        match self.l2.lookup_after(key, waited).await {
            Lookup::Hit(v) => TieredLookup::Hit(fill(l1, v)),
            Lookup::Refresh(v, l2) => {
                let ticket = l1.ticket();
                let v = fill(l1, v);
                TieredLookup::Refresh(
                    v,
                    TieredRefresh {
                        cache: self,
                        key: key.to_owned(),
                        l2,
                        l1: ticket,
                    },
                )
            }
            Lookup::Load(l2) => TieredLookup::Load(TieredLoad {
                cache: self,
                key: key.to_owned(),
                l1: Some(l1),
                l2,
                epoch,
            }),
        }
    }

    /// With `max_staleness`: whether the invalidation channel has not proved live for
    /// that long, so an L1 entry might have missed an invalidation older than the bound.
    #[inline]
    fn l1_unconfirmed(&self) -> bool {
        self.max_staleness
            .as_ref()
            .is_some_and(|(bound, confirmed)| {
                clock::now_ms().saturating_sub(confirmed.load(Ordering::Acquire)) >= *bound
            })
    }

    /// A lookup that neither reads nor fills L1 (its channel is down): L2, then the load.
    #[cold]
    async fn lookup_l2_only(&'static self, key: &str) -> TieredLookup<V, C> {
        match self.l2.lookup_after(key, false).await {
            // The refresh claim is dropped: the entry is refreshed once L1 is served again.
            Lookup::Hit((v, _)) | Lookup::Refresh((v, _), _) => TieredLookup::Hit(v),
            Lookup::Load(l2) => TieredLookup::Load(TieredLoad {
                cache: self,
                key: key.to_owned(),
                l1: None,
                l2,
                epoch: self.epoch.load(Ordering::Acquire),
            }),
        }
    }

    /// Tells other processes about a write or an invalidation. While Redis is known to
    /// be failing, the broadcast leaves the caller's path: a background task sends it
    /// (bounded by the response timeout), so a call waits for Redis once, not twice.
    async fn publish(&self, message: Message<'_>) {
        let outgoing = Outgoing::new(self.l2.backend(), self.l2.config().name, message);
        if self.l2.backend().known_down() {
            spawn_on_backend(async move {
                if let Err(error) = outgoing.send().await {
                    tracing::debug!(%error, "cache_publish_failed");
                }
            });
        } else if let Err(e) = outgoing.send().await {
            self.record_publish_failure(&e);
        }
    }

    fn record_publish_failure(&self, error: &super::StoreError) {
        self.l2.fail.record(
            self.l2.config().name,
            "publish",
            error,
            self.l2.backend().config().warn_interval,
        );
    }

    /// The fresh value for `key` (L1, else L2), without loading or counting.
    pub async fn get(&self, key: &str) -> Option<V> {
        match self.l1.get(key) {
            Some(v) => Some(v),
            None => self.l2.get(key).await,
        }
    }

    /// Stores `value` for `key` in both tiers (write-through) and tells other processes
    /// to drop their L1 copy.
    pub async fn insert(&self, key: &str, value: V, tags: Vec<String>) -> bool {
        self.insert_for(key, value, Lifetime::Default, tags).await
    }

    pub(crate) async fn insert_for(
        &self,
        key: &str,
        value: V,
        lifetime: Lifetime,
        tags: Vec<String>,
    ) -> bool {
        // A lookup whose L2 read was in flight must not put the old value back in L1.
        self.epoch.fetch_add(1, Ordering::AcqRel);
        let stored = self.l2.insert_for(key, value.clone(), lifetime, tags).await;
        self.l1
            .insert_for(key.to_owned(), value, lifetime, Vec::new());
        self.publish(Message::Key(key)).await;
        stored
    }

    /// A value a background load stored in L2 (fresh until `until`, Unix ms): into L1
    /// unless the key was invalidated since `ticket` was taken (`None`: L1 is not
    /// served), and other processes are told to drop their copy.
    async fn landed(&self, ticket: Option<Ticket>, key: &str, value: V, until: u64) {
        if let Some(ticket) = ticket {
            let lifetime = ReturnKind::<V>::lifetime(UntilUnixMs(until), &value);
            self.l1
                .insert_if_current(ticket, key.to_owned(), value, lifetime, Vec::new());
        }
        self.publish(Message::Key(key)).await;
    }

    /// Drops the entry for `key` in both tiers and in every process's L1.
    pub async fn invalidate(&self, key: &str) -> bool {
        // L2 first: a lookup that read the old value from L2 before the `UNLINK` finds
        // its L1 fill superseded by the L1 invalidation that follows.
        let in_l2 = self.l2.invalidate(key).await;
        self.epoch.fetch_add(1, Ordering::AcqRel);
        let in_l1 = self.l1.invalidate(key);
        self.publish(Message::Key(key)).await;
        in_l1 || in_l2
    }

    /// Pattern invalidation on L2 (see [`RedisCache::invalidate_pattern`]); every L1 of
    /// the cache is cleared.
    pub async fn invalidate_pattern(&self, pattern: &str) -> u64 {
        // A lookup whose L2 read was in flight must not put the old value back in L1.
        self.epoch.fetch_add(1, Ordering::AcqRel);
        let dropped = self.l2.invalidate_pattern(pattern).await;
        self.l1.clear();
        self.publish(Message::Clear).await;
        dropped
    }

    /// Drops every entry, in both tiers and in every process's L1.
    pub async fn clear(&self) {
        // L2 first, as in `invalidate`.
        self.l2.clear().await;
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.l1.clear();
        self.publish(Message::Clear).await;
    }

    /// Drops every entry, in both tiers and in every process's L1, and sets this
    /// process's statistics' counters back to 0.
    pub async fn clear_and_reset_stats(&self) {
        self.clear().await;
        self.l1.clear_and_reset_stats();
        self.l2.reset_stats();
    }

    /// Drops the entries carrying `tag` from L2, and clears L1 here and elsewhere.
    pub async fn invalidate_tag(&self, tag: &str) -> u64 {
        if !self.l2.config().tagged {
            return 0;
        }
        self.epoch.fetch_add(1, Ordering::AcqRel);
        let dropped = self.l2.invalidate_tag(tag).await;
        self.l1.clear();
        self.publish(Message::Tag(tag)).await;
        dropped
    }

    /// Statistics of both tiers: `hits` counts L1 and L2 hits, `misses` L2's misses,
    /// `entries`/`capacity`/`evictions`/`too_heavy` are L1's.
    pub fn stats(&self) -> CacheStats {
        let l1 = self.l1.stats();
        let mut stats = self.l2.stats();
        stats.hits += l1.hits;
        stats.entries = l1.entries;
        stats.capacity = l1.capacity;
        stats.evictions = l1.evictions;
        stats.too_heavy = l1.too_heavy;
        stats
    }

    /// Counts a call that skipped the cache (`when` was false).
    pub(crate) fn record_bypass(&self) {
        self.l2.record_bypass();
    }

    /// The settings the cache was built with.
    pub fn config(&self) -> &CacheConfig {
        self.l2.config()
    }
}

impl<V: RedisValue, C: Codec> TieredLoad<V, C> {
    /// Stores what the loader returned in L2 (releasing the lock), then in L1, and hands
    /// it back; a background task tells other processes to drop their L1 copy (skipped
    /// while Redis is failing: the L2 write did not happen either). Async: it writes to
    /// Redis (bounded; failures counted, never returned).
    pub(crate) async fn complete<A, R>(
        self,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
    ) -> R
    where
        A: ReturnKind<R, Value = V>,
    {
        self.settle(kind, returned, skip_if, tags).await.0
    }

    /// Runs `load` and completes with its value, as [`TieredLoad::complete`]; with a
    /// soft `timeout` and a stale value held, a slower load answers the stale value (see
    /// [`RedisLoad::load_or_stale`]), which L1 keeps for the fail-safe throttle too; the
    /// load goes on in the background and stores its value in both tiers when it lands.
    pub(crate) async fn load_or_stale<A, R>(
        mut self,
        kind: A,
        load: impl Future<Output = R> + Send + 'static,
        skip_if: impl FnOnce(&V) -> bool + Send + 'static,
        tags: Vec<String>,
    ) -> (R, CacheStatus)
    where
        A: ReturnKind<R, Value = V>,
        R: Send + 'static,
    {
        let (pending, stale, until) = match self.l2.race(load, &tags).await {
            Ok(returned) => return self.settle(kind, returned, skip_if, tags).await,
            Err(late) => late,
        };
        let cache = self.cache;
        let ticket = self.l1.as_ref().map(Load::ticket);
        if let (Some(l1), true) = (self.l1, cache.epoch.load(Ordering::Acquire) == self.epoch) {
            l1.complete(
                UntilUnixMs(until),
                stale.clone(),
                crate::__private::store_all,
                Vec::new(),
            );
        }
        let (key, l2) = (self.key, self.l2);
        background::spawn(async move {
            if let Some((value, until)) = l2.land(kind, pending.await, skip_if, tags).await {
                cache.landed(ticket, &key, value, until).await;
            }
        });
        (kind.wrap(stale), CacheStatus::Stale)
    }

    /// [`TieredLoad::complete`], with how the call was answered.
    async fn settle<A, R>(
        self,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
    ) -> (R, CacheStatus)
    where
        A: ReturnKind<R, Value = V>,
    {
        let (returned, stored, status) =
            self.l2.complete_stored(kind, returned, skip_if, tags).await;
        if let Some((value, until)) = stored {
            let cache = self.cache;
            if let (Some(l1), true) = (self.l1, cache.epoch.load(Ordering::Acquire) == self.epoch) {
                l1.complete(
                    UntilUnixMs(until),
                    value,
                    crate::__private::store_all,
                    Vec::new(),
                );
            }
            let backend = cache.l2.backend();
            if !backend.known_down() {
                let outgoing =
                    Outgoing::new(backend, cache.l2.config().name, Message::Key(&self.key));
                spawn_on_backend(async move {
                    if let Err(e) = outgoing.send().await {
                        cache.record_publish_failure(&e);
                    }
                });
            }
        }
        (returned, status)
    }
}

impl<V: RedisValue, C: Codec> TieredRefresh<V, C> {
    /// Runs `load` as a background task (unless another process is refreshing the
    /// entry), stores its value in both tiers and tells other processes.
    pub(crate) fn spawn_async<A, R>(
        self,
        kind: A,
        load: impl Future<Output = R> + Send + 'static,
        skip_if: impl FnOnce(&V) -> bool + Send + 'static,
        tags: Vec<String>,
    ) where
        A: ReturnKind<R, Value = V>,
    {
        background::spawn(async move {
            if let Some((value, until)) = self.l2.run(kind, load, skip_if, tags).await {
                self.cache
                    .landed(Some(self.l1), &self.key, value, until)
                    .await;
            }
        });
    }
}

impl<V: RedisValue, C: Codec> L1Listener for TieredCache<V, C> {
    fn cache_name(&self) -> &'static str {
        self.l2.config().name
    }

    fn drop_key(&self, args: &str) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.l1.invalidate(args);
    }

    fn drop_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.l1.clear();
    }
}

impl<V: RedisValue, C: Codec> RegisteredCache for TieredCache<V, C> {
    fn name(&self) -> &'static str {
        self.l2.config().name
    }

    fn store(&self) -> &'static str {
        "tiered"
    }

    fn stats(&self) -> CacheStats {
        TieredCache::stats(self)
    }

    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, u64> {
        Box::pin(TieredCache::invalidate_tag(self, tag))
    }
}
