//! Cache statistics: per-thread counters on the hot path, a plain snapshot for users.

mod slots;

use slots::SlotCounter;
use std::sync::atomic::{AtomicU64, Ordering};

/// The counters of one cache.
#[derive(Default)]
pub(crate) struct Counters {
    pub hits: SlotCounter,
    pub misses: SlotCounter,
    pub loads: AtomicU64,
    pub load_errors: AtomicU64,
    pub evictions: std::sync::Arc<AtomicU64>,
    pub stale_served: AtomicU64,
    pub refreshes: AtomicU64,
    pub soft_timeouts: AtomicU64,
    pub bypassed: AtomicU64,
    pub invalidations: AtomicU64,
}

impl Counters {
    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Sets every counter back to 0.
    pub(super) fn reset(&self) {
        self.hits.reset();
        self.misses.reset();
        for counter in [
            &self.loads,
            &self.load_errors,
            &*self.evictions,
            &self.stale_served,
            &self.refreshes,
            &self.soft_timeouts,
            &self.bypassed,
            &self.invalidations,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

/// A snapshot of one cache's statistics: hits, misses, loads, evictions, size and more.
///
/// A caller that waited for another caller's load of the same key counts as a miss but
/// not as a load: `loads` counts loader runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Calls answered from the cache.
    pub hits: u64,
    /// Calls that found no fresh entry (they loaded, or waited for a concurrent load).
    pub misses: u64,
    /// Loader runs (misses that ran the function, plus background refreshes).
    pub loads: u64,
    /// Loader runs that returned `Err` or panicked.
    pub load_errors: u64,
    /// Entries dropped to make room (on the moka engine, also entries its ttl/tti expired;
    /// expired entries swept by memotrace are not counted here).
    pub evictions: u64,
    /// Entries held now (expired ones included until they are swept or replaced).
    pub entries: u64,
    /// The most entries the cache holds.
    pub capacity: u64,
    /// Calls answered with an expired value because the loader failed (`stale_if_error`)
    /// or took longer than `timeout`.
    pub stale_served: u64,
    /// Background loads that stored a new value (`refresh_ahead`,
    /// `stale_while_revalidate`, and loads that went on after `timeout`).
    pub refreshes: u64,
    /// Calls answered with the stale value because their load took longer than the soft
    /// `timeout`; each load went on in the background (its failure is counted in
    /// `load_errors`, its success in `refreshes`).
    pub soft_timeouts: u64,
    /// Calls that skipped the cache because `when` was false.
    pub bypassed: u64,
    /// Entries removed by `{fn}_invalidate`, tags or `clear`.
    pub invalidations: u64,
    /// Values not stored because they weigh more than the whole `max_weight`.
    pub too_heavy: u64,
    /// Shared-store (Redis) calls that failed or timed out; each was answered as a miss
    /// (reads) or dropped (writes). Always 0 for memory caches.
    pub store_errors: u64,
    /// Shared-store entries that did not decode; each was answered as a miss and
    /// overwritten by the fresh value. Always 0 for memory caches.
    pub decode_errors: u64,
    /// Loads whose distributed lock was lost before they finished: its lease lapsed
    /// without being renewed, or another caller took the lock (each is logged as
    /// `cache_lock_lost`, rate-limited). Always 0 for memory caches.
    pub lock_timeouts: u64,
}

impl CacheStats {
    /// `hits / (hits + misses)`, 0 when there were no calls.
    pub fn hit_ratio(&self) -> f64 {
        let calls = self.hits + self.misses;
        if calls == 0 {
            0.0
        } else {
            self.hits as f64 / calls as f64
        }
    }
}

impl Counters {
    pub(super) fn snapshot(&self, entries: u64, capacity: u64) -> CacheStats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheStats {
            hits: self.hits.get(),
            misses: self.misses.get(),
            loads: load(&self.loads),
            load_errors: load(&self.load_errors),
            evictions: load(&self.evictions),
            entries,
            capacity,
            stale_served: load(&self.stale_served),
            refreshes: load(&self.refreshes),
            soft_timeouts: load(&self.soft_timeouts),
            bypassed: load(&self.bypassed),
            invalidations: load(&self.invalidations),
            ..CacheStats::default()
        }
    }
}
