//! `RedisCache`: the Redis (standalone or Cluster) store behind `#[cached(store = redis)]`.

use super::codec::{decode_entry, encode_entry, unix_ms, Codec, JsonCodec, Stamp};
use super::connection::{default_backend, spawn_on_backend, RedisBackend};
use super::fail_open::{FailOpen, StoreError};
use super::keys::{self, KeySpace, DEFAULT_NAMESPACE};
use super::lock::{self, Backoff, Watchdog};
use super::token;
use crate::cache::background;
use crate::cache::config::{CacheConfig, Timing};
use crate::cache::expiry::Lifetime;
use crate::cache::memory::Lookup;
use crate::cache::outcome::{Outcome, ReturnKind};
use crate::cache::registry::{self, BoxFuture, RegisteredCache};
use crate::cache::single_flight::{FlightGuard, Flights, Joined};
use crate::cache::soft_timeout;
use crate::cache::stats::{CacheStats, Counters};
use crate::cache::CacheStatus;
use crate::perf::span::record_lookup;
use redis::Script;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// What a value held in Redis needs: serde both ways, and the bounds of every cache value.
pub trait RedisValue: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {}
impl<T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static> RedisValue for T {}

/// How long a value handed from a loader to the in-process callers that waited for it
/// stays claimable (they wake within microseconds; this only bounds stragglers).
const HANDOFF_MS: u64 = 1_000;

/// A cache of `String → V` in Redis or Redis Cluster: what `{fn}_cache()` returns for
/// `store = redis`.
///
/// A hit is one `GET` plus decoding. A miss takes the in-process single-flight, then the
/// distributed lock (`SET NX PX`), so across every process one caller runs the loader;
/// the others wait (in-process ones on an event, sharing the leader's Redis polling) and
/// take its value. Redis down, slow or returning garbage is a miss that runs the loader:
/// see the [module docs](super).
///
/// ```no_run
/// # async fn demo() {
/// use memotrace::cache::redis::{set_default_backend, RedisBackend, RedisConfig};
///
/// #[memotrace::cached(store = redis, key = "{id}", ttl = "1m")]
/// async fn user_name(id: u64) -> String {
///     format!("user {id}") // the query
/// }
///
/// set_default_backend(RedisBackend::connect(RedisConfig::url("redis://127.0.0.1:6379")).unwrap());
/// assert_eq!(user_name(42).await, "user 42");
/// let cache = user_name_cache(); // &'static RedisCache<String>
/// assert_eq!(cache.get("42").await.as_deref(), Some("user 42"));
/// assert!(cache.invalidate("42").await);
/// println!("{:?}", cache.stats());
/// # }
/// ```
pub struct RedisCache<V, C: Codec = JsonCodec> {
    config: CacheConfig,
    explicit: Option<RedisBackend>,
    resolved: OnceLock<(RedisBackend, KeySpace)>,
    timing: Timing,
    lock_timeout: Option<Duration>,
    codec: C,
    counters: Counters,
    pub(crate) fail: FailOpen,
    flights: Flights<String>,
    refreshing: Flights<String>,
    /// Keys another process is refreshing: no new attempt before the time (Unix ms), so
    /// a hot due key does not send one `SET NX` per hit.
    refresh_elsewhere: Mutex<HashMap<String, u64>>,
    /// Values handed from a loader to this process's waiters: stamp, value, when (Unix
    /// ms), and the load's [generation](Self::generation_of).
    handoff: Mutex<HashMap<String, (Stamp, V, u64, u64)>>,
    /// Write generations, one per stripe of keys, bumped by every write and invalidation
    /// of this process: a load that began before one is answered to its callers but not
    /// stored, nor handed to calls that began after it (it may carry the old value).
    stripes: [AtomicU64; GENERATION_STRIPES],
    /// Bumped by the invalidations of many keys at once (`clear`, patterns, tags).
    everything: AtomicU64,
    /// Held shared by every store while it checks the generation and writes (a store
    /// that finds it taken is skipped); taken exclusively to bump a generation, so an
    /// invalidation's `UNLINK` goes out after every store of an older load.
    stores: tokio::sync::RwLock<()>,
}

/// Keys share [`RedisCache`] write generations by stripe: a write to one key only stops
/// the stores of concurrent loads of keys in its stripe.
const GENERATION_STRIPES: usize = 64;

/// What a Redis lookup found.
pub(crate) type RedisLookup<V, C = JsonCodec> = Lookup<V, RedisRefresh<V, C>, RedisLoad<V, C>>;

/// A [`RedisLookup`] whose values come with their expiry (Unix ms, `u64::MAX`: never).
pub(crate) type StampedLookup<V, C> = Lookup<(V, u64), RedisRefresh<V, C>, RedisLoad<V, C>>;

/// The right to load one key after a miss, holding the in-process flight and (when Redis
/// answered) the distributed lock. Dropped without [`RedisLoad::complete`] (panic,
/// cancellation) it wakes local waiters and releases the lock in the background.
pub struct RedisLoad<V: 'static, C: Codec = JsonCodec> {
    cache: &'static RedisCache<V, C>,
    key: String,
    guard: Option<FlightGuard<'static, String>>,
    lock_token: Option<String>,
    /// Renews the lock while the loader runs; stopped before the lock is released.
    watchdog: Option<Watchdog>,
    previous: Option<(Stamp, V)>,
    /// False when Redis did not answer the lookup: the value is not written back.
    write: bool,
    /// The entry's write generation before the loader ran.
    generation: u64,
}

/// The claimed background refresh of one due entry.
pub struct RedisRefresh<V: 'static, C: Codec = JsonCodec> {
    cache: &'static RedisCache<V, C>,
    key: String,
    _guard: FlightGuard<'static, String>,
    generation: u64,
}

/// KEYS: tag set. ARGV: entry key, ttl ms (0 = none). The set lives as long as its
/// longest-lived member.
static TAG_ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local existed = redis.call('EXISTS', KEYS[1]) \
         redis.call('SADD', KEYS[1], ARGV[1]) \
         local want = tonumber(ARGV[2]) \
         if want <= 0 then redis.call('PERSIST', KEYS[1]) return 1 end \
         local t = redis.call('PTTL', KEYS[1]) \
         if existed == 0 or (t >= 0 and t < want) then redis.call('PEXPIRE', KEYS[1], want) end \
         return 1",
    )
});

impl<V: RedisValue, C: Codec> RedisCache<V, C> {
    /// A cache on the [default backend](super::default_backend), resolved at first use.
    pub fn new(config: CacheConfig) -> Self {
        Self::build(config, None)
    }

    /// A cache on `backend`.
    pub fn with_backend(config: CacheConfig, backend: RedisBackend) -> Self {
        Self::build(config, Some(backend))
    }

    fn build(config: CacheConfig, explicit: Option<RedisBackend>) -> Self {
        Self {
            timing: config.timing(),
            config,
            explicit,
            resolved: OnceLock::new(),
            lock_timeout: None,
            codec: C::default(),
            counters: Counters::default(),
            fail: FailOpen::default(),
            flights: Flights::default(),
            refreshing: Flights::default(),
            refresh_elsewhere: Mutex::new(HashMap::new()),
            handoff: Mutex::new(HashMap::new()),
            stripes: std::array::from_fn(|_| AtomicU64::new(0)),
            everything: AtomicU64::new(0),
            stores: tokio::sync::RwLock::new(()),
        }
    }

    /// Sets the distributed load lock's `lock_timeout` (default: the backend's
    /// [`RedisConfig::lock_timeout`](super::RedisConfig), 30 s). The lock is a lease of
    /// `min(lock_timeout, 3 s)` that its owner renews every third of it while the loader
    /// runs, so a longer load still runs once; other callers wait while it is held and
    /// take over within one lease when its owner is gone.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// Leaks the cache into a `&'static` and adds it to the registry.
    pub fn register(self) -> &'static Self {
        let cache: &'static Self = Box::leak(Box::new(self));
        registry::register(cache);
        cache
    }

    pub(crate) fn resolved(&self) -> &(RedisBackend, KeySpace) {
        self.resolved.get_or_init(|| {
            let backend = self.explicit.clone().unwrap_or_else(default_backend);
            let keys = KeySpace::new(
                backend.config().key_prefix.as_deref(),
                self.config.namespace.unwrap_or(DEFAULT_NAMESPACE),
                self.config.version.unwrap_or(keys::DEFAULT_VERSION),
                self.config.name,
            );
            (backend, keys)
        })
    }

    /// The backend this cache talks to.
    pub fn backend(&self) -> &RedisBackend {
        &self.resolved().0
    }

    /// The cache's key layout.
    pub fn keys(&self) -> &KeySpace {
        &self.resolved().1
    }

    /// The Redis key of the entry for `key`.
    pub fn redis_key(&self, key: &str) -> String {
        self.keys().entry(key)
    }

    fn lock_ttl(&self) -> Duration {
        self.lock_timeout
            .unwrap_or(self.backend().config().lock_timeout)
    }

    /// Takes `lock` for one lease; when taken, its watchdog renews it until dropped and
    /// reports a loss (counted, logged rate-limited).
    async fn acquire(
        &'static self,
        lock: &str,
        token: &str,
    ) -> super::StoreResult<Option<Watchdog>> {
        let lease = lock::lease_for(self.lock_ttl());
        if !lock::try_acquire(self.backend(), lock, token, lease).await? {
            return Ok(None);
        }
        let key = lock.to_owned();
        let on_lost = move || {
            self.fail.lock_lost(
                self.config.name,
                &key,
                self.backend().config().warn_interval,
            );
        };
        Ok(Some(Watchdog::start(
            self.backend(),
            lock.to_owned(),
            token.to_owned(),
            lease,
            on_lost,
        )))
    }

    fn stripe(&self, full: &str) -> &AtomicU64 {
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(full, &mut h);
        let at =
            usize::try_from(std::hash::Hasher::finish(&h) % GENERATION_STRIPES as u64).unwrap_or(0);
        &self.stripes[at]
    }

    /// The write generation of entry `full`: it grows with every write or invalidation
    /// of this process that concerns the entry.
    fn generation_of(&self, full: &str) -> u64 {
        self.everything.load(Ordering::Acquire) + self.stripe(full).load(Ordering::Acquire)
    }

    /// Starts a write or an invalidation of entry `full` (`None`: of many entries):
    /// loads that began before it are not stored, and stores already under way have
    /// finished (or timed out) when it returns.
    async fn begin_write(&self, full: Option<&str>) {
        let _exclusive = self.stores.write().await;
        let counter = full.map_or(&self.everything, |f| self.stripe(f));
        counter.fetch_add(1, Ordering::AcqRel);
    }

    fn record(&self, op: &'static str, error: &StoreError) {
        self.fail.record(
            self.config.name,
            op,
            error,
            self.backend().config().warn_interval,
        );
    }

    /// `GET` + decode; failures are recorded and read as absent.
    async fn read(&self, full: &str) -> Option<(Stamp, V)> {
        self.read_checked(full).await.0
    }

    /// `GET` + decode, and whether Redis failed to answer (then the caller loads without
    /// the lock and without writing: one bounded wait per call while Redis is down or
    /// stalled, not three).
    async fn read_checked(&self, full: &str) -> (Option<(Stamp, V)>, bool) {
        match self
            .backend()
            .query::<Option<Vec<u8>>>(redis::cmd("GET").arg(full))
            .await
        {
            Ok(Some(bytes)) => (self.decode(full, &bytes), false),
            Ok(None) => (None, false),
            Err(e) => {
                self.record("get", &e);
                (None, true)
            }
        }
    }

    fn decode(&self, full: &str, bytes: &[u8]) -> Option<(Stamp, V)> {
        match decode_entry(&self.codec, bytes) {
            Ok(entry) => Some(entry),
            Err(e) => {
                self.record("decode", &StoreError::Decode(format!("{full}: {e}")));
                None
            }
        }
    }

    /// Looks `key` up: a fresh value (one `GET`), or the right to load it after waiting
    /// for any concurrent load of the key, in this process or another.
    pub(crate) async fn lookup_async(&'static self, key: &str) -> RedisLookup<V, C> {
        match self.lookup_after(key, false).await {
            Lookup::Hit((value, _)) => Lookup::Hit(value),
            Lookup::Refresh((value, _), refresh) => Lookup::Refresh(value, refresh),
            Lookup::Load(load) => Lookup::Load(load),
        }
    }

    /// [`RedisCache::lookup_async`] for a call that has `waited` already (for another
    /// caller's load): while Redis is failing it sends Redis nothing and loads without
    /// the lock, so it does not wait for Redis a second time.
    /// Values come with their expiry (Unix ms), so that the tiered L1 keeps them no longer.
    /// The answer is recorded on the current span (`cache.hit`, `cache.name`) when spans
    /// are on, as a memory lookup's is.
    pub(crate) async fn lookup_after(
        &'static self,
        key: &str,
        waited: bool,
    ) -> StampedLookup<V, C> {
        let full = self.keys().entry(key);
        if waited && self.backend().known_down() {
            self.counters.misses.incr();
            record_lookup(&self.config, false);
            let generation = self.generation_of(&full);
            return self.claim(full, None, true, generation).await;
        }
        let now = unix_ms();
        let (found, failed) = self.read_checked(&full).await;
        let found = match found {
            Some((stamp, value)) if stamp.is_fresh(now) => {
                self.counters.hits.incr();
                record_lookup(&self.config, true);
                if stamp.refresh <= now && !self.refreshed_elsewhere(&full, now) {
                    if let Joined::Leader(guard) = self.refreshing.join(full.as_str()) {
                        let generation = self.generation_of(&full);
                        let refresh = RedisRefresh {
                            cache: self,
                            key: full,
                            _guard: guard,
                            generation,
                        };
                        return Lookup::Refresh((value, stamp.expires), refresh);
                    }
                }
                return Lookup::Hit((value, stamp.expires));
            }
            other => other,
        };
        self.counters.misses.incr();
        record_lookup(&self.config, false);
        let previous = found.filter(|(s, _)| now < s.stale_until);
        // Read before any loader runs: a write that completes later stops its store.
        let generation = self.generation_of(&full);
        self.claim(full, previous, failed, generation).await
    }

    /// `degraded`: Redis failed this call once already; it sends Redis nothing more
    /// before loading (one bounded wait per call).
    async fn claim(
        &'static self,
        full: String,
        previous: Option<(Stamp, V)>,
        mut degraded: bool,
        generation: u64,
    ) -> StampedLookup<V, C> {
        loop {
            let guard = match self.flights.join(full.as_str()) {
                Joined::Leader(guard) => guard,
                Joined::Waiter(listener) => {
                    listener.await;
                    let now = unix_ms();
                    if let Some(found) = self.take_handoff(&full, now, generation) {
                        return Lookup::Hit(found);
                    }
                    // Redis already failed this call, or fails now: no second wait on
                    // it (the call loads without the lock instead).
                    if degraded || self.backend().known_down() {
                        degraded = true;
                        continue;
                    }
                    let (found, failed) = self.read_checked(&full).await;
                    if let Some((stamp, value)) = found.filter(|(s, _)| s.is_fresh(unix_ms())) {
                        return Lookup::Hit((value, stamp.expires));
                    }
                    degraded = failed;
                    continue;
                }
            };
            if degraded {
                Counters::bump(&self.counters.loads);
                return Lookup::Load(RedisLoad {
                    cache: self,
                    key: full,
                    guard: Some(guard),
                    lock_token: None,
                    watchdog: None,
                    previous,
                    write: false,
                    generation,
                });
            }
            return self.lead(full, guard, previous, generation).await;
        }
    }

    /// This process's leader: take the distributed lock, or wait for its owner while it
    /// holds the lock (renewing it), and take it over once it is gone.
    async fn lead(
        &'static self,
        full: String,
        guard: FlightGuard<'static, String>,
        previous: Option<(Stamp, V)>,
        generation: u64,
    ) -> StampedLookup<V, C> {
        let lock_key = keys::lock_key(&full);
        let token = token::token();
        let load = |guard, held: Option<(String, Watchdog)>, previous, write| {
            Counters::bump(&self.counters.loads);
            let (lock_token, watchdog) = held.map_or((None, None), |(t, w)| (Some(t), Some(w)));
            Lookup::Load(RedisLoad {
                cache: self,
                key: full.clone(),
                guard: Some(guard),
                lock_token,
                watchdog,
                previous,
                write,
                generation,
            })
        };
        let mut backoff = Backoff::following_lock();
        let mut first = true;
        loop {
            if !first {
                backoff.wait().await;
                let (bytes, held) = match lock::poll(self.backend(), &full, &lock_key).await {
                    Ok(polled) => polled,
                    Err(e) => {
                        self.record("lock_poll", &e);
                        return load(guard, None, previous, false);
                    }
                };
                let now = unix_ms();
                if let Some((stamp, value)) = bytes.and_then(|b| self.decode(&full, &b)) {
                    if stamp.is_fresh(now) {
                        self.put_handoff(&full, stamp, value.clone(), now, generation);
                        drop(guard);
                        return Lookup::Hit((value, stamp.expires));
                    }
                }
                if held {
                    continue;
                }
            }
            first = false;
            match self.acquire(&lock_key, &token).await {
                Ok(Some(watchdog)) => {
                    return load(guard, Some((token, watchdog)), previous, true);
                }
                Ok(None) => {}
                Err(e) => {
                    self.record("lock", &e);
                    return load(guard, None, previous, false);
                }
            }
        }
    }

    fn refreshed_elsewhere(&self, full: &str, now: u64) -> bool {
        let map = self
            .refresh_elsewhere
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(full).is_some_and(|until| now < *until)
    }

    fn note_refresh_elsewhere(&self, full: &str) {
        let now = unix_ms();
        let wait = u64::try_from(self.lock_ttl().as_millis())
            .unwrap_or(u64::MAX)
            .min(1_000);
        let mut map = self
            .refresh_elsewhere
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() >= 1_024 {
            map.retain(|_, until| now < *until);
        }
        map.insert(full.to_owned(), now + wait);
    }

    /// Hands `value`, loaded by a call of `generation`, to this process's waiters.
    fn put_handoff(&self, full: &str, stamp: Stamp, value: V, now: u64, generation: u64) {
        let mut map = self.handoff.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= 64 {
            map.retain(|_, (_, _, at, _)| now < *at + HANDOFF_MS);
        }
        map.insert(full.to_owned(), (stamp, value, now, generation));
    }

    /// The value handed over for `full`, unless it was loaded before a write or an
    /// invalidation that the waiter's call (of `generation`) came after.
    fn take_handoff(&self, full: &str, now: u64, generation: u64) -> Option<(V, u64)> {
        let map = self.handoff.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(full)
            .filter(|(stamp, _, at, loaded)| {
                now < at + HANDOFF_MS && stamp.is_fresh(now) && *loaded >= generation
            })
            .map(|(stamp, v, _, _)| (v.clone(), stamp.expires))
    }

    fn forget_handoff(&self, full: Option<&str>) {
        let mut map = self.handoff.lock().unwrap_or_else(PoisonError::into_inner);
        match full {
            Some(k) => drop(map.remove(k)),
            None => map.clear(),
        }
    }

    /// Encodes and stores `value` under `full` with its tags, unless a write or an
    /// invalidation came after `generation`; releases `lock_token`'s lock (in the same
    /// round trip when storing). Failures are recorded, never returned.
    async fn write(
        &self,
        full: &str,
        stamp: Stamp,
        value: &V,
        tags: &[String],
        lock_token: Option<&str>,
        generation: u64,
    ) -> bool {
        let backend = self.backend();
        let lock_key = keys::lock_key(full);
        let lock = lock_token.map(|t| (lock_key.as_str(), t));
        // Not waiting for the shared guard: when it is not free, an invalidation is
        // bumping the generation, so this load is older than it anyway.
        let shared = self.stores.try_read();
        if shared.is_err() || self.generation_of(full) != generation {
            drop(shared);
            self.unlock(full, lock_token).await;
            return false;
        }
        let bytes = match encode_entry(&self.codec, &stamp, value) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.record("encode", &StoreError::Encode(e));
                if let Some((lock, token)) = lock {
                    if let Err(e) = lock::release(backend, lock, token).await {
                        self.record("unlock", &e);
                    }
                }
                return false;
            }
        };
        let now = unix_ms();
        let ttl = stamp.redis_ttl_ms(now);
        let store = lock::store_and_release(backend, full, &bytes, ttl, lock);
        let tagging = self.tag(full, tags, ttl);
        let (stored, tagged) = futures_util::future::join(store, tagging).await;
        if let Err(e) = &stored {
            self.record("set", e);
        }
        stored.is_ok() && tagged
    }

    async fn tag(&self, full: &str, tags: &[String], ttl: Option<u64>) -> bool {
        if tags.is_empty() {
            return true;
        }
        let backend = self.backend();
        let keys = self.keys();
        let ms = ttl.unwrap_or(0);
        let calls = tags.iter().map(|tag| {
            let set = keys.tag_set(tag);
            async move {
                backend
                    .run(|mut c| {
                        let set = set.clone();
                        async move {
                            TAG_ADD
                                .key(set)
                                .arg(full)
                                .arg(ms)
                                .invoke_async::<i64>(&mut c)
                                .await
                        }
                    })
                    .await
            }
        });
        let mut ok = true;
        for result in futures_util::future::join_all(calls).await {
            if let Err(e) = result {
                self.record("tag", &e);
                ok = false;
            }
        }
        ok
    }

    /// Marks `stale` (served at `now` instead of a fresh value) as answering for the
    /// fail-safe throttle, with no refresh of its own.
    fn fail_safe(&self, stale: &mut Stamp, now: u64) {
        stale.expires = self.timing.throttled_until(now, stale.stale_until);
        stale.refresh = u64::MAX;
    }

    /// The stamp of a value stored at `now` (Unix ms) for `lifetime`.
    fn stamp(&self, now: u64, lifetime: Lifetime) -> Stamp {
        let times = self.timing.times(now, lifetime);
        Stamp {
            created: now,
            expires: times.expires,
            refresh: times.refresh,
            stale_until: times.stale_until,
        }
    }

    /// The fresh value for `key`, without loading or counting.
    pub async fn get(&self, key: &str) -> Option<V> {
        self.read(&self.keys().entry(key))
            .await
            .filter(|(s, _)| s.is_fresh(unix_ms()))
            .map(|(_, v)| v)
    }

    /// Stores `value` for `key` now (write-through / `cache_put`), with the cache's ttl
    /// and `tags`; false when Redis did not take it.
    pub async fn insert(&self, key: &str, value: V, tags: Vec<String>) -> bool {
        self.insert_for(key, value, Lifetime::Default, tags).await
    }

    /// Stores `value` for `key` now for `lifetime`; drops the key's entry instead when
    /// the lifetime is [`Lifetime::Skip`].
    pub(crate) async fn insert_for(
        &self,
        key: &str,
        value: V,
        lifetime: Lifetime,
        tags: Vec<String>,
    ) -> bool {
        if lifetime == Lifetime::Skip {
            self.invalidate(key).await;
            return false;
        }
        let full = self.keys().entry(key);
        self.begin_write(Some(&full)).await;
        let generation = self.generation_of(&full);
        self.forget_handoff(Some(&full));
        self.write(
            &full,
            self.stamp(unix_ms(), lifetime),
            &value,
            &tags,
            None,
            generation,
        )
        .await
    }

    /// Drops the entry for `key`; true when there was one.
    pub async fn invalidate(&self, key: &str) -> bool {
        let full = self.keys().entry(key);
        self.begin_write(Some(&full)).await;
        self.forget_handoff(Some(&full));
        match self
            .backend()
            .query::<u64>(redis::cmd("UNLINK").arg(&full))
            .await
        {
            Ok(n) => {
                self.counters.invalidations.fetch_add(n, Ordering::Relaxed);
                n > 0
            }
            Err(e) => {
                self.record("invalidate", &e);
                false
            }
        }
    }

    /// Drops every entry whose `{args}` part matches the glob `pattern` (`*`, `?`,
    /// `[..]`), by `SCAN` on every primary; resolves to how many were dropped.
    pub async fn invalidate_pattern(&self, pattern: &str) -> u64 {
        self.begin_write(None).await;
        self.forget_handoff(None);
        self.delete_matching(&self.keys().pattern(pattern)).await
    }

    async fn delete_matching(&self, pattern: &str) -> u64 {
        match super::scan::delete_pattern(self.backend(), pattern).await {
            Ok(n) => {
                self.counters.invalidations.fetch_add(n, Ordering::Relaxed);
                n
            }
            Err(e) => {
                self.record("scan", &e);
                0
            }
        }
    }

    /// Drops every entry of this cache (its whole key prefix, tag sets included).
    pub async fn clear(&self) {
        self.begin_write(None).await;
        self.forget_handoff(None);
        self.delete_matching(&self.keys().all()).await;
    }

    /// Drops every entry of this cache and sets the statistics' counters back to 0.
    pub async fn clear_and_reset_stats(&self) {
        self.clear().await;
        self.reset_stats();
    }

    pub(crate) fn reset_stats(&self) {
        self.counters.reset();
        self.fail.reset();
    }

    /// Drops every entry of this cache carrying `tag`; resolves to how many.
    pub async fn invalidate_tag(&self, tag: &str) -> u64 {
        if !self.config.tagged {
            return 0;
        }
        self.begin_write(None).await;
        self.forget_handoff(None);
        let backend = self.backend();
        let set = self.keys().tag_set(tag);
        let members: Vec<String> = match backend.query(redis::cmd("SMEMBERS").arg(&set)).await {
            Ok(m) => m,
            Err(e) => {
                self.record("tag_members", &e);
                return 0;
            }
        };
        let dropped = match super::scan::unlink(backend, &members).await {
            Ok(n) => n,
            Err(e) => {
                self.record("tag_unlink", &e);
                0
            }
        };
        if let Err(e) = backend.query::<u64>(redis::cmd("UNLINK").arg(&set)).await {
            self.record("tag_unlink", &e);
        }
        self.counters
            .invalidations
            .fetch_add(dropped, Ordering::Relaxed);
        dropped
    }

    /// The cache's statistics now. `entries` and `capacity` are 0: Redis holds the
    /// entries and its memory policy bounds them.
    pub fn stats(&self) -> CacheStats {
        let mut stats = self.counters.snapshot(0, 0);
        self.fail.fill(&mut stats);
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
}

impl<V: RedisValue, C: Codec> RedisLoad<V, C> {
    /// Stores what the loader returned (unless `skip_if` says not to) in Redis, releases
    /// the lock, wakes the waiters with the value, and hands it back. A failure answers
    /// with the expired value instead while `stale_if_error` allows.
    ///
    /// Async because it writes to Redis (bounded by the backend's `op_timeout`; a failed
    /// write is counted and logged, and the value is returned all the same).
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
        self.complete_stored(kind, returned, skip_if, tags).await.0
    }

    /// Runs `load` and completes with its value, as [`RedisLoad::complete`]. With a soft
    /// `timeout` and a stale value held (`stale_if_error`), a load that takes longer
    /// answers the stale value instead: it is written back answering for the fail-safe
    /// throttle and handed to this process's waiters, while the load goes on in the
    /// background, still holding (and renewing) the distributed lock so that no other
    /// process loads the key meanwhile, and stores its value when it lands unless a
    /// write or an invalidation came since. A background load that fails is counted
    /// and logged; the stale value answers until the throttle ends.
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
        match self.race(load, &tags).await {
            Ok(returned) => {
                let (returned, _, status) =
                    self.complete_stored(kind, returned, skip_if, tags).await;
                (returned, status)
            }
            Err((pending, stale, _)) => {
                background::spawn(async move {
                    self.land(kind, pending.await, skip_if, tags).await;
                });
                (kind.wrap(stale), CacheStatus::Stale)
            }
        }
    }

    /// Awaits `load` within the soft timeout (when a stale value is held). Past it, the
    /// stale value answers meanwhile (see [`RedisLoad::load_or_stale`]), and the pending
    /// load comes back with the stale value and the Unix ms until which it answers.
    #[allow(clippy::type_complexity)]
    pub(crate) async fn race<F: Future>(
        &mut self,
        load: F,
        tags: &[String],
    ) -> Result<F::Output, (Pin<Box<F>>, V, u64)> {
        let cache = self.cache;
        let now = unix_ms();
        let stale_held = self
            .previous
            .as_ref()
            .is_some_and(|(stamp, _)| now < stamp.stale_until);
        let limit = cache.config.timeout.filter(|_| stale_held);
        let pending = match soft_timeout::within(limit, load).await {
            Ok(returned) => return Ok(returned),
            Err(pending) => pending,
        };
        let Some((mut stamp, stale)) = self.previous.take() else {
            unreachable!("a soft timeout needs a stale value")
        };
        let now = unix_ms();
        soft_timeout::record(&cache.counters, cache.config.name);
        cache.fail_safe(&mut stamp, now);
        if self.write {
            // Without the lock token: the lock stays held until the load completes.
            cache
                .write(&self.key, stamp, &stale, tags, None, self.generation)
                .await;
        }
        cache.put_handoff(&self.key, stamp, stale.clone(), now, self.generation);
        // Wakes this process's waiters, which take the stale value handed over.
        self.guard = None;
        Err((pending, stale, stamp.expires))
    }

    /// Completes a load that went on in the background after the soft timeout; the
    /// value stored, with its expiry (Unix ms), if any. A failure is logged (the stale
    /// value answers until its throttle ends).
    pub(crate) async fn land<A, R>(
        self,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
    ) -> Option<(V, u64)>
    where
        A: ReturnKind<R, Value = V>,
    {
        let cache = self.cache;
        if kind.failed(&returned) {
            tracing::warn!(cache = cache.config.name, "cache_refresh_failed");
        }
        let (returned, stored, _) = self.complete_stored(kind, returned, skip_if, tags).await;
        if stored.is_some() {
            Counters::bump(&cache.counters.refreshes);
        }
        // The load's value is released once it is counted: whoever learns of the
        // landing from that value's release reads the count with it.
        drop(returned);
        stored
    }

    /// [`RedisLoad::complete`], also giving the value it stored with its expiry (Unix
    /// ms), for the tiered cache, unless a write or an invalidation came after the load
    /// began; and how the call was answered (`Stale`: a failure answered with the
    /// expired value).
    pub(crate) async fn complete_stored<A, R>(
        mut self,
        kind: A,
        returned: R,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
    ) -> (R, Option<(V, u64)>, CacheStatus)
    where
        A: ReturnKind<R, Value = V>,
    {
        let cache = self.cache;
        // The renewals stop before the lock is released (a renewal crossing the release
        // is not reported as a loss). The lock token stays in `self` until the call that
        // releases it has returned: a caller cancelled while it is awaited leaves the
        // release to `Drop`.
        self.watchdog = None;
        let guard = self.guard.take();
        let outcome = kind.classify(&returned);
        let result = match outcome {
            Outcome::Value(value) if !skip_if(&value) => {
                let now = unix_ms();
                let stamp = cache.stamp(now, kind.lifetime(&value));
                if self.write {
                    let lock_token = self.lock_token.as_deref();
                    cache
                        .write(&self.key, stamp, &value, &tags, lock_token, self.generation)
                        .await;
                } else {
                    cache.unlock(&self.key, self.lock_token.as_deref()).await;
                }
                self.lock_token = None;
                cache.put_handoff(&self.key, stamp, value.clone(), now, self.generation);
                // A value loaded before a write or an invalidation is not handed on.
                let current = cache.generation_of(&self.key) == self.generation;
                (
                    returned,
                    current.then_some((value, stamp.expires)),
                    CacheStatus::Miss,
                )
            }
            Outcome::Error => {
                Counters::bump(&cache.counters.load_errors);
                let now = unix_ms();
                match self.previous.take().filter(|(s, _)| now < s.stale_until) {
                    Some((mut stamp, stale)) => {
                        Counters::bump(&cache.counters.stale_served);
                        tracing::debug!(cache = cache.config.name, "cache_stale_served");
                        // Written back answering as fresh for the fail-safe throttle, so
                        // no caller, here or elsewhere, calls the failing loader meanwhile.
                        cache.fail_safe(&mut stamp, now);
                        let lock_token = self.lock_token.as_deref();
                        if self.write {
                            cache
                                .write(&self.key, stamp, &stale, &tags, lock_token, self.generation)
                                .await;
                        } else {
                            cache.unlock(&self.key, lock_token).await;
                        }
                        self.lock_token = None;
                        cache.put_handoff(&self.key, stamp, stale.clone(), now, self.generation);
                        (kind.wrap(stale), None, CacheStatus::Stale)
                    }
                    None => {
                        cache.unlock(&self.key, self.lock_token.as_deref()).await;
                        self.lock_token = None;
                        (returned, None, CacheStatus::Miss)
                    }
                }
            }
            Outcome::Value(_) | Outcome::Skip => {
                cache.unlock(&self.key, self.lock_token.as_deref()).await;
                self.lock_token = None;
                (returned, None, CacheStatus::Miss)
            }
        };
        drop(guard);
        result
    }
}

impl<V: RedisValue, C: Codec> RedisCache<V, C> {
    async fn unlock(&self, full: &str, token: Option<&str>) {
        if let Some(token) = token {
            if let Err(e) = lock::release(self.backend(), &keys::lock_key(full), token).await {
                self.record("unlock", &e);
            }
        }
    }
}

impl<V: 'static, C: Codec> Drop for RedisLoad<V, C> {
    fn drop(&mut self) {
        if self.guard.is_some() && std::thread::panicking() {
            Counters::bump(&self.cache.counters.load_errors);
        }
        self.watchdog = None;
        if let Some(token) = self.lock_token.take() {
            // Not completed (panic or cancellation): free the lock now rather than
            // making other processes wait for it to expire.
            if let Some((backend, _)) = self.cache.resolved.get() {
                let backend = backend.clone();
                let lock = keys::lock_key(&self.key);
                spawn_on_backend(async move {
                    let _ = lock::release(&backend, &lock, &token).await;
                });
            }
        }
    }
}

impl<V: RedisValue, C: Codec> RedisRefresh<V, C> {
    /// Runs `load` as a background task (unless another process is already refreshing
    /// the entry) and stores its value; the caller goes on with the current one.
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
            let _ = self.run(kind, load, skip_if, tags).await;
        });
    }

    /// Takes the refresh lock, loads, stores; the stored value with its expiry (Unix ms),
    /// if any.
    pub(crate) async fn run<A, R>(
        self,
        kind: A,
        load: impl Future<Output = R>,
        skip_if: impl FnOnce(&V) -> bool,
        tags: Vec<String>,
    ) -> Option<(V, u64)>
    where
        A: ReturnKind<R, Value = V>,
    {
        let cache = self.cache;
        let backend = cache.backend();
        let lock = keys::refresh_key(&self.key);
        let token = token::token();
        let watchdog = match cache.acquire(&lock, &token).await {
            Ok(Some(watchdog)) => watchdog,
            Ok(None) => {
                cache.note_refresh_elsewhere(&self.key);
                return None;
            }
            Err(e) => {
                cache.record("refresh_lock", &e);
                return None;
            }
        };
        Counters::bump(&cache.counters.loads);
        let outcome = {
            let returned = load.await;
            kind.classify(&returned)
        };
        let stored = match outcome {
            Outcome::Value(value) if !skip_if(&value) => {
                let stamp = cache.stamp(unix_ms(), kind.lifetime(&value));
                if cache
                    .write(&self.key, stamp, &value, &tags, None, self.generation)
                    .await
                {
                    Counters::bump(&cache.counters.refreshes);
                }
                // A value loaded before a write or an invalidation is not handed on.
                (cache.generation_of(&self.key) == self.generation)
                    .then_some((value, stamp.expires))
            }
            Outcome::Error => {
                Counters::bump(&cache.counters.load_errors);
                tracing::warn!(cache = cache.config.name, "cache_refresh_failed");
                None
            }
            Outcome::Value(_) | Outcome::Skip => None,
        };
        drop(watchdog);
        if let Err(e) = lock::release(backend, &lock, &token).await {
            cache.record("refresh_unlock", &e);
        }
        stored
    }
}

impl<V: RedisValue, C: Codec> RegisteredCache for RedisCache<V, C> {
    fn name(&self) -> &'static str {
        self.config.name
    }

    fn store(&self) -> &'static str {
        "redis"
    }

    fn stats(&self) -> CacheStats {
        RedisCache::stats(self)
    }

    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, u64> {
        Box::pin(RedisCache::invalidate_tag(self, tag))
    }
}
