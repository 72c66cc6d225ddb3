//! The engine for caches with a time to idle: moka, whose idle expiry is native, with
//! [`Flights`] as its single-flight mechanism; its capacity is a number of entries, or a
//! total weight (`max_weight`) measured by moka's weigher.

use super::config::Entry;
use super::eviction::{EvictionCause, Evictions};
use super::single_flight::{FlightGuard, Flights, Joined};
use super::store::{Claim, LoadGuard, LocalStore};
use super::weigh::Weighed;
use super::CacheConfig;
use event_listener::Listener;
use moka::notification::RemovalCause;
use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

/// The moka engine.
pub struct MokaStore<K, V> {
    engine: moka::sync::Cache<K, Entry<V>>,
    flights: Flights<K>,
    /// The weigher and budget with `max_weight`.
    weighed: Option<Weighed<K, V>>,
}

/// The load right: inserting fills the key, dropping the flight wakes the waiters.
pub struct MokaGuard<'a, K: Hash + Eq, V> {
    store: &'a MokaStore<K, V>,
    flight: FlightGuard<'a, K>,
}

impl<K, V> LoadGuard<V> for MokaGuard<'_, K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn fill(self, entry: Entry<V>) {
        self.store.insert(self.flight.key().clone(), entry);
    }
}

enum Step<'a, K: Hash + Eq, V> {
    Done(Claim<V, MokaGuard<'a, K, V>>),
    Wait(event_listener::EventListener),
}

impl<K, V> MokaStore<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn step<Q>(&self, key: &Q, now: u64) -> Step<'_, K, V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let previous = self.engine.get(key);
        if let Some(entry) = previous.as_ref().filter(|e| e.is_fresh(now)) {
            return Step::Done(Claim::Ready(entry.clone()));
        }
        match self.flights.join(key) {
            Joined::Leader(flight) => {
                // The previous leader may have filled the key between our get and join.
                let previous = self.engine.get(key);
                match previous {
                    Some(entry) if entry.is_fresh(now) => Step::Done(Claim::Ready(entry)),
                    previous => Step::Done(Claim::Load {
                        guard: MokaGuard {
                            store: self,
                            flight,
                        },
                        previous,
                    }),
                }
            }
            Joined::Waiter(listener) => Step::Wait(listener),
        }
    }

    /// An engine whose capacity is `weighed`'s total weight (`max_weight` with `tti`).
    #[doc(hidden)]
    pub fn weighed(
        config: &CacheConfig,
        evictions: Evictions<K, V>,
        weighed: Weighed<K, V>,
    ) -> Self {
        Self::with_weights(config, evictions, Some(weighed))
    }

    fn with_weights(
        config: &CacheConfig,
        evictions: Evictions<K, V>,
        weighed: Option<Weighed<K, V>>,
    ) -> Self {
        let builder = moka::sync::Cache::builder().eviction_listener(
            move |key: Arc<K>, entry: Entry<V>, cause| match cause {
                RemovalCause::Size => {
                    evictions.evicted(&key, &entry.value, EvictionCause::Capacity);
                }
                RemovalCause::Expired => {
                    evictions.evicted(&key, &entry.value, EvictionCause::Expired);
                }
                RemovalCause::Explicit => {
                    evictions.report(&key, &entry.value, EvictionCause::Invalidated);
                }
                RemovalCause::Replaced => {
                    evictions.report(&key, &entry.value, EvictionCause::Replaced);
                }
            },
        );
        let mut builder = match &weighed {
            // Values over the whole budget never reach moka (see `insert`). moka's weights
            // are u32: a heavier value within a larger budget counts as u32::MAX.
            Some(weighed) => {
                let weigh = weighed.weigher();
                builder
                    .weigher(move |key: &K, entry: &Entry<V>| {
                        u32::try_from(weigh(key, &entry.value).max(1)).unwrap_or(u32::MAX)
                    })
                    .max_capacity(weighed.max_weight())
            }
            None => builder.max_capacity(config.max_capacity.max(1)),
        };
        // moka refuses (panics on) durations over 1000 years; the macro caps them at 100.
        let longest = Duration::from_secs(100 * 365 * 86_400);
        if let Some(tti) = config.tti {
            builder = builder.time_to_idle(tti.min(longest));
        }
        if let Some(ttl) = config.ttl {
            let kept = ttl.saturating_add(config.stale_if_error.unwrap_or_default());
            builder = builder.time_to_live(kept.min(longest));
        }
        Self {
            engine: builder.build(),
            flights: Flights::default(),
            weighed,
        }
    }
}

impl<K, V> LocalStore<K, V> for MokaStore<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    type Guard<'a> = MokaGuard<'a, K, V>;

    fn build(config: &CacheConfig, evictions: Evictions<K, V>) -> Self {
        Self::with_weights(config, evictions, None)
    }

    fn too_heavy(&self) -> u64 {
        self.weighed.as_ref().map_or(0, Weighed::refused)
    }

    fn get<Q>(&self, key: &Q) -> Option<Entry<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.engine.get(key)
    }

    fn claim<Q>(&self, key: &Q, now: u64) -> Claim<V, Self::Guard<'_>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        loop {
            match self.step(key, now) {
                Step::Done(claim) => return claim,
                Step::Wait(listener) => listener.wait(),
            }
        }
    }

    async fn claim_async<'a, Q>(&'a self, key: &Q, now: u64) -> Claim<V, Self::Guard<'a>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + Sync + ?Sized,
    {
        loop {
            match self.step(key, now) {
                Step::Done(claim) => return claim,
                Step::Wait(listener) => listener.await,
            }
        }
    }

    /// `refresh_ahead` is ttl-based and the macro refuses it together with `tti`, so a
    /// moka entry never comes due.
    fn claim_refresh<Q>(&self, _key: &Q, _now: u64) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        false
    }

    fn contains(&self, key: &K) -> bool {
        self.engine.contains_key(key)
    }

    /// A value heavier than the whole `max_weight` is not stored (counted as too heavy)
    /// and takes the key's previous value with it.
    fn insert(&self, key: K, entry: Entry<V>) {
        match &self.weighed {
            Some(weighed) if !weighed.admits(&key, &entry.value) => {
                self.engine.invalidate(&key);
            }
            _ => self.engine.insert(key, entry),
        }
    }

    fn remove<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.engine.remove(key).is_some()
    }

    fn clear(&self) {
        self.engine.invalidate_all();
        self.engine.run_pending_tasks();
    }

    fn entry_count(&self) -> u64 {
        self.engine.run_pending_tasks();
        self.engine.entry_count()
    }

    /// Dead entries are dropped by moka's own ttl (the cache's ttl plus its stale
    /// window) and reported as expired from there; this sweep removes what per-entry
    /// lifetimes end earlier (reported as invalidated, as moka sees a removal).
    fn drop_dead(&self, keep: impl Fn(&K, &Entry<V>) -> bool) {
        let dead: Vec<Arc<K>> = self
            .engine
            .iter()
            .filter(|(k, e)| !keep(k, e))
            .map(|(k, _)| k)
            .collect();
        for key in dead {
            self.engine.invalidate(&*key);
        }
    }
}
