//! The caches compared, each replaying a trace through its public API: a miss loads the
//! key and stores it, as a memoised function does.

use cached::{Cached, LruCache};
use memotrace::cache::CacheStats;

/// One cache (or the offline optimum) in the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contender {
    /// `#[memotrace::cached(max_capacity = N)]`, counted by the function's own stats.
    Memotrace,
    /// moka's sync cache (TinyLFU admission, the engine of memotrace's `tti` caches).
    Moka,
    /// The `cached` crate's `LruCache` (LRU).
    CachedLru,
    /// Belady's offline optimum.
    Opt,
}

impl Contender {
    /// Every contender, in table order.
    pub const ALL: [Self; 4] = [Self::Memotrace, Self::Moka, Self::CachedLru, Self::Opt];

    /// The column heading.
    pub fn name(self) -> &'static str {
        match self {
            Self::Memotrace => "memotrace",
            Self::Moka => "moka",
            Self::CachedLru => "cached (LRU)",
            Self::Opt => "OPT",
        }
    }

    /// Hits out of `trace.len()` with room for `capacity` entries; `None` when the
    /// contender cannot be built at that capacity (see [`MACRO_CAPACITIES`]).
    pub fn hits(self, trace: &[u64], capacity: u64) -> Option<u64> {
        match self {
            Self::Memotrace => macro_path(capacity, trace),
            Self::Moka => Some(moka_hits(trace, capacity)),
            Self::CachedLru => Some(lru_hits(trace, capacity)),
            Self::Opt => Some(super::opt::hits(trace, capacity as usize)),
        }
    }
}

fn moka_hits(trace: &[u64], capacity: u64) -> u64 {
    let cache = moka::sync::Cache::new(capacity);
    let mut hits = 0;
    for &key in trace {
        if cache.get(&key).is_some() {
            hits += 1;
        } else {
            cache.insert(key, key);
        }
    }
    hits
}

fn lru_hits(trace: &[u64], capacity: u64) -> u64 {
    let mut cache = LruCache::new(capacity as usize);
    let mut hits = 0;
    for &key in trace {
        if cache.cache_get(&key).is_some() {
            hits += 1;
        } else {
            cache.cache_set(key, key);
        }
    }
    hits
}

/// Replays `trace` through a memoised fn and reads its hits from the cache's stats.
fn replay(
    trace: &[u64],
    call: fn(u64) -> u64,
    stats: impl Fn() -> CacheStats,
    clear: impl Fn(),
) -> u64 {
    clear();
    let before = stats();
    for &key in trace {
        std::hint::black_box(call(key));
    }
    let after = stats();
    let (hits, misses) = (after.hits - before.hits, after.misses - before.misses);
    assert_eq!(hits + misses, trace.len() as u64, "every call counted once");
    clear();
    hits
}

/// `max_capacity` is a literal in the attribute, so the macro path exists for a fixed
/// ladder of capacities: one memoised fn per capacity.
macro_rules! macro_path {
    ($($module:ident = $capacity:tt),* $(,)?) => {
        $(
            // The generated `_invalidate` and `_put` companions are not needed here.
            #[allow(dead_code)]
            mod $module {
                #[memotrace::cached(max_capacity = $capacity)]
                pub(super) fn load(key: u64) -> u64 {
                    key
                }
            }
        )*

        /// The capacities the `#[cached]` contender is compiled for.
        pub const MACRO_CAPACITIES: &[u64] = &[$($capacity),*];

        fn macro_path(capacity: u64, trace: &[u64]) -> Option<u64> {
            match capacity {
                $($capacity => Some(replay(
                    trace,
                    $module::load,
                    || $module::load_cache().stats(),
                    || $module::load_cache().clear(),
                )),)*
                _ => None,
            }
        }
    };
}

// 0.1 %, 1 % and 10 % of a million keys, and the sizes published for the S3 and DS1
// traces.
macro_path!(
    entries_1k = 1_000,
    entries_10k = 10_000,
    entries_100k = 100_000,
    entries_400k = 400_000,
    entries_800k = 800_000,
    entries_1m = 1_000_000,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contender_hits_a_trace_that_fits() {
        let trace: Vec<u64> = (0..20_000).map(|i| i % 500).collect();
        for c in Contender::ALL {
            let hits = c.hits(&trace, 1_000).unwrap();
            assert!(hits >= 19_000, "{}: {hits}", c.name());
        }
        assert_eq!(Contender::Memotrace.hits(&trace, 1_001), None);
    }

    #[test]
    fn lru_never_hits_a_loop_larger_than_itself() {
        let trace: Vec<u64> = (0..12_000).map(|i| i % 1_200).collect();
        assert_eq!(Contender::CachedLru.hits(&trace, 1_000), Some(0));
    }
}
