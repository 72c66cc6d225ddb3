//! The tiered cache's L1 engine: quick_cache bounded by a count of entries, or by a total
//! weight with `max_weight`. One engine type serves both, so that a tiered cache's type
//! does not depend on its arguments; only inserts and evictions look at which it is.

use crate::cache::config::Entry;
use crate::cache::eviction::Evictions;
use crate::cache::quick::QuickStore;
use crate::cache::weigh::{EngineParts, Scale, Unweighed, Weighed, WeighedEvictions};
use crate::cache::CacheConfig;
use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, Weighter};

/// The L1 engine of a [`TieredCache`](super::TieredCache).
pub(crate) type L1Store<V> = QuickStore<String, V, L1Parts<V>>;

/// The L1 engine's capacity: `max_capacity` entries, or `max_weight`.
pub enum L1Parts<V> {
    /// Every entry weighs 1, against `max_capacity`.
    Counted,
    /// Entries weigh what the weigher says, against `max_weight`; a value heavier than
    /// the whole budget is not kept (counted in `too_heavy`).
    Weighed(Weighed<String, V>),
}

/// What an expansion of `#[cached(store = tiered, max_weight = ..)]` hands its L1.
impl<V> From<Weighed<String, V>> for L1Parts<V> {
    fn from(weighed: Weighed<String, V>) -> Self {
        Self::Weighed(weighed)
    }
}

/// The L1 engine's weigher.
pub enum L1Weigher<V> {
    /// Every entry weighs 1.
    Unit,
    /// The `max_weight` weigher.
    Scale(Scale<String, V>),
}

impl<V> Clone for L1Weigher<V> {
    fn clone(&self) -> Self {
        match self {
            Self::Unit => Self::Unit,
            Self::Scale(scale) => Self::Scale(scale.clone()),
        }
    }
}

impl<V> Weighter<String, Entry<V>> for L1Weigher<V> {
    #[inline]
    fn weight(&self, key: &String, entry: &Entry<V>) -> u64 {
        match self {
            Self::Unit => 1,
            Self::Scale(scale) => scale.weight(key, entry),
        }
    }
}

/// The L1 engine's eviction listener.
pub enum L1Evictions<V> {
    /// Entries dropped to make room.
    Counted(Evictions<String, V>),
    /// Entries dropped to make room, and values refused for their weight.
    Weighed(WeighedEvictions<String, V>),
}

impl<V> Clone for L1Evictions<V> {
    fn clone(&self) -> Self {
        match self {
            Self::Counted(evictions) => Self::Counted(evictions.clone()),
            Self::Weighed(evictions) => Self::Weighed(evictions.clone()),
        }
    }
}

impl<V> Lifecycle<String, Entry<V>> for L1Evictions<V> {
    type RequestState = ();

    fn on_evict(&self, state: &mut (), key: String, entry: Entry<V>) {
        match self {
            Self::Counted(evictions) => evictions.on_evict(state, key, entry),
            Self::Weighed(evictions) => evictions.on_evict(state, key, entry),
        }
    }
}

impl<V: Clone + Send + Sync + 'static> EngineParts<String, V> for L1Parts<V> {
    type Weigher = L1Weigher<V>;
    type Lifecycle = L1Evictions<V>;

    fn from_config(_: &CacheConfig) -> Self {
        Self::Counted
    }

    fn engine(
        &self,
        config: &CacheConfig,
        evictions: Evictions<String, V>,
    ) -> Cache<String, Entry<V>, L1Weigher<V>, DefaultHashBuilder, L1Evictions<V>> {
        match self {
            Self::Counted => {
                Unweighed::engine_with(config, L1Weigher::Unit, L1Evictions::Counted(evictions))
            }
            Self::Weighed(weighed) => {
                weighed.engine_with(config, evictions, L1Weigher::Scale, L1Evictions::Weighed)
            }
        }
    }

    fn too_heavy(&self) -> u64 {
        match self {
            Self::Counted => 0,
            Self::Weighed(weighed) => weighed.refused(),
        }
    }
}
