//! Capacity by weight: the [`Weigh`] trait, the parts (weigher and eviction listener) of
//! a quick_cache engine whose capacity is a total weight, and the weights a moka engine
//! (caches with a `tti`) is given.

use super::config::Entry;
use super::eviction::{EvictionCause, Evictions};
use super::CacheConfig;
use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, OptionsBuilder, UnitWeighter, Weighter};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How much a cached value weighs, for `#[cached(max_weight = "64MiB")]` without a
/// `weigher`: roughly the bytes it holds (its own size plus what it owns on the heap).
///
/// ```
/// use memotrace::cache::Weigh;
///
/// struct Page { html: String, links: Vec<String> }
///
/// impl Weigh for Page {
///     fn weight(&self) -> usize {
///         self.html.weight() + self.links.weight()
///     }
/// }
/// ```
pub trait Weigh {
    /// The weight, in the unit of `max_weight` (bytes for the implementations here).
    fn weight(&self) -> usize;
}

macro_rules! weigh_by_size {
    ($($t:ty),*) => {$(
        impl Weigh for $t {
            #[inline]
            fn weight(&self) -> usize {
                std::mem::size_of::<$t>()
            }
        }
    )*};
}

weigh_by_size!(
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    ()
);

impl Weigh for String {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + self.capacity()
    }
}

impl Weigh for str {
    fn weight(&self) -> usize {
        self.len()
    }
}

impl Weigh for Cow<'_, str> {
    fn weight(&self) -> usize {
        match self {
            Cow::Borrowed(s) => std::mem::size_of::<Self>() + s.len(),
            Cow::Owned(s) => {
                std::mem::size_of::<Self>() - std::mem::size_of::<String>() + s.weight()
            }
        }
    }
}

impl<T: Weigh> Weigh for [T] {
    fn weight(&self) -> usize {
        self.iter().map(Weigh::weight).sum()
    }
}

impl<T: Weigh> Weigh for Vec<T> {
    fn weight(&self) -> usize {
        let unused = self.capacity() - self.len();
        std::mem::size_of::<Self>() + self.as_slice().weight() + unused * std::mem::size_of::<T>()
    }
}

impl<T: Weigh + ?Sized> Weigh for Box<T> {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + (**self).weight()
    }
}

impl<T: Weigh + ?Sized> Weigh for Arc<T> {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>() + (**self).weight()
    }
}

impl<T: Weigh> Weigh for Option<T> {
    fn weight(&self) -> usize {
        match self {
            Some(v) => std::mem::size_of::<Self>() - std::mem::size_of::<T>() + v.weight(),
            None => std::mem::size_of::<Self>(),
        }
    }
}

impl<A: Weigh, B: Weigh> Weigh for (A, B) {
    fn weight(&self) -> usize {
        self.0.weight() + self.1.weight()
    }
}

/// The weigher `max_weight` uses without a `weigher`: the value's [`Weigh::weight`].
pub fn weigh_value<K, V: Weigh>(_: &K, value: &V) -> usize {
    value.weight()
}

/// A quick_cache engine's weigher and eviction listener.
pub trait EngineParts<K, V>: Send + Sync + 'static {
    /// quick_cache's weigher.
    type Weigher: Weighter<K, Entry<V>> + Clone + Send + Sync + 'static;
    /// quick_cache's lifecycle (eviction listener).
    type Lifecycle: Lifecycle<K, Entry<V>> + Clone + Send + Sync + 'static;

    /// The engine for `config`, reporting evictions to `evictions`.
    fn engine(
        &self,
        config: &CacheConfig,
        evictions: Evictions<K, V>,
    ) -> Cache<K, Entry<V>, Self::Weigher, DefaultHashBuilder, Self::Lifecycle>;

    /// The parts for a cache built from its config alone.
    fn from_config(config: &CacheConfig) -> Self;

    /// Values refused for weighing more than the whole budget.
    fn too_heavy(&self) -> u64 {
        0
    }
}

/// Every entry weighs 1; the capacity is `max_capacity` entries.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unweighed;

impl<K, V> EngineParts<K, V> for Unweighed
where
    K: Eq + std::hash::Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    type Weigher = UnitWeighter;
    type Lifecycle = Evictions<K, V>;

    fn from_config(_: &CacheConfig) -> Self {
        Self
    }

    fn engine(
        &self,
        config: &CacheConfig,
        evictions: Evictions<K, V>,
    ) -> Cache<K, Entry<V>, UnitWeighter, DefaultHashBuilder, Evictions<K, V>> {
        Self::engine_with(config, UnitWeighter, evictions)
    }
}

impl Unweighed {
    /// An engine holding `max_capacity` entries, each weighing 1 by `weigher`.
    pub(crate) fn engine_with<K, V, W, L>(
        config: &CacheConfig,
        weigher: W,
        lifecycle: L,
    ) -> Cache<K, Entry<V>, W, DefaultHashBuilder, L>
    where
        K: Eq + std::hash::Hash + Clone,
        V: Clone,
        W: Weighter<K, Entry<V>> + Clone,
        L: Lifecycle<K, Entry<V>> + Clone,
    {
        let capacity = config.max_capacity.max(1);
        let items = usize::try_from(capacity).unwrap_or(usize::MAX);
        Cache::with(
            items,
            capacity,
            weigher,
            DefaultHashBuilder::default(),
            lifecycle,
        )
    }
}

/// A weigher function over a key and its value.
pub type WeigherFn<K, V> = fn(&K, &V) -> usize;

/// The capacity is a total weight: `max_weight`, measured by a weigher function.
pub struct Weighed<K, V> {
    weigher: WeigherFn<K, V>,
    max_weight: u64,
    too_heavy: Arc<AtomicU64>,
}

impl<K, V> Weighed<K, V> {
    /// Entries weighed by `weigher`, at most `max_weight` in all.
    pub fn new(max_weight: u64, weigher: WeigherFn<K, V>) -> Self {
        Self {
            weigher,
            max_weight: max_weight.max(1),
            too_heavy: Arc::default(),
        }
    }

    /// The whole budget.
    pub(crate) fn max_weight(&self) -> u64 {
        self.max_weight
    }

    /// The weigher function.
    pub(crate) fn weigher(&self) -> WeigherFn<K, V> {
        self.weigher
    }

    /// The weigher's answer for `value`, at least 1.
    pub(crate) fn weight(&self, key: &K, value: &V) -> u64 {
        weigh(self.weigher, key, value)
    }

    /// Whether `value` fits the whole budget; one that does not is counted as too heavy.
    pub(crate) fn admits(&self, key: &K, value: &V) -> bool {
        let fits = self.weight(key, value) <= self.max_weight;
        if !fits {
            self.too_heavy.fetch_add(1, Ordering::Relaxed);
        }
        fits
    }

    /// Values refused for weighing more than the whole budget.
    pub(crate) fn refused(&self) -> u64 {
        self.too_heavy.load(Ordering::Relaxed)
    }

    /// What quick_cache is told: the weigher's answer, at least 1 (quick_cache never
    /// evicts an entry of weight 0), and `refused` for a value over the whole budget.
    fn scale(&self) -> Scale<K, V> {
        Scale {
            weigher: self.weigher,
            max_weight: self.max_weight,
            refused: self.engine_capacity() + 1,
        }
    }

    /// quick_cache admits an entry up to 97 % of its capacity (the rest is its probation
    /// queue): the capacity that admits exactly `max_weight`.
    fn engine_capacity(&self) -> u64 {
        (self.max_weight as f64 / HOT_ALLOCATION).ceil() as u64 + 1
    }
}

const HOT_ALLOCATION: f64 = 0.97;

/// `weigher`'s answer, at least 1 (no engine evicts an entry of weight 0).
#[inline]
fn weigh<K, V>(weigher: WeigherFn<K, V>, key: &K, value: &V) -> u64 {
    (weigher(key, value) as u64).max(1)
}

/// quick_cache's view of a [`Weighed`] weigher.
pub struct Scale<K, V> {
    weigher: WeigherFn<K, V>,
    max_weight: u64,
    refused: u64,
}

impl<K, V> Clone for Scale<K, V> {
    fn clone(&self) -> Self {
        Self { ..*self }
    }
}

impl<K, V> Weighter<K, Entry<V>> for Scale<K, V> {
    #[inline]
    fn weight(&self, key: &K, entry: &Entry<V>) -> u64 {
        let weight = weigh(self.weigher, key, &entry.value);
        if weight > self.max_weight {
            self.refused
        } else {
            weight
        }
    }
}

/// Eviction listener of a [`Weighed`] engine: a value quick_cache refused for its
/// weight is counted as too heavy, not as an eviction.
pub struct WeighedEvictions<K, V> {
    evictions: Evictions<K, V>,
    scale: Scale<K, V>,
    too_heavy: Arc<AtomicU64>,
}

impl<K, V> Clone for WeighedEvictions<K, V> {
    fn clone(&self) -> Self {
        Self {
            evictions: self.evictions.clone(),
            scale: self.scale.clone(),
            too_heavy: Arc::clone(&self.too_heavy),
        }
    }
}

impl<K, V> Lifecycle<K, Entry<V>> for WeighedEvictions<K, V> {
    type RequestState = ();

    fn on_evict(&self, _state: &mut (), key: K, entry: Entry<V>) {
        if self.scale.weight(&key, &entry) > self.scale.max_weight {
            self.too_heavy.fetch_add(1, Ordering::Relaxed);
        } else {
            self.evictions
                .evicted(&key, &entry.value, EvictionCause::Capacity);
        }
    }
}

impl<K, V> EngineParts<K, V> for Weighed<K, V>
where
    K: Eq + std::hash::Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    type Weigher = Scale<K, V>;
    type Lifecycle = WeighedEvictions<K, V>;

    /// Without a weigher, every entry weighs 1 against `max_capacity`.
    fn from_config(config: &CacheConfig) -> Self {
        Self::new(config.max_capacity, |_, _| 1)
    }

    fn engine(
        &self,
        config: &CacheConfig,
        evictions: Evictions<K, V>,
    ) -> Cache<K, Entry<V>, Scale<K, V>, DefaultHashBuilder, WeighedEvictions<K, V>> {
        self.engine_with(config, evictions, |scale| scale, |lifecycle| lifecycle)
    }

    fn too_heavy(&self) -> u64 {
        self.refused()
    }
}

impl<K, V> Weighed<K, V>
where
    K: Eq + std::hash::Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// The weighed engine, its weigher and eviction listener wrapped by `weigher` and
    /// `lifecycle` (an engine whose type also serves unweighed caches).
    pub(crate) fn engine_with<W, L>(
        &self,
        config: &CacheConfig,
        evictions: Evictions<K, V>,
        weigher: impl FnOnce(Scale<K, V>) -> W,
        lifecycle: impl FnOnce(WeighedEvictions<K, V>) -> L,
    ) -> Cache<K, Entry<V>, W, DefaultHashBuilder, L>
    where
        W: Weighter<K, Entry<V>> + Clone,
        L: Lifecycle<K, Entry<V>> + Clone,
    {
        let scale = self.scale();
        let lifecycle = lifecycle(WeighedEvictions {
            evictions,
            scale: scale.clone(),
            too_heavy: Arc::clone(&self.too_heavy),
        });
        let scale = weigher(scale);
        let capacity = self.engine_capacity();
        let items = usize::try_from(config.max_capacity).unwrap_or(usize::MAX);
        // One shard: a shard's share of the budget would be the largest value admitted.
        let options = OptionsBuilder::new()
            .shards(1)
            .hot_allocation(HOT_ALLOCATION)
            .estimated_items_capacity(items)
            .weight_capacity(capacity)
            .build();
        match options {
            Ok(options) => {
                Cache::with_options(options, scale, DefaultHashBuilder::default(), lifecycle)
            }
            // Every option is set: not reached, but not a panic either.
            Err(_) => Cache::with(
                items,
                capacity,
                scale,
                DefaultHashBuilder::default(),
                lifecycle,
            ),
        }
    }
}
