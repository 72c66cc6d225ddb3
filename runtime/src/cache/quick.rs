//! The default engine: quick_cache (S3-FIFO, sharded) with its placeholder guards as the
//! single-flight mechanism.

use super::config::Entry;
use super::eviction::{EvictionCause, Evictions};
use super::store::{Claim, LoadGuard, LocalStore};
use super::weigh::{EngineParts, Unweighed};
use super::CacheConfig;
use quick_cache::sync::{Cache, EntryAction, EntryResult, PlaceholderGuard};
use quick_cache::DefaultHashBuilder;
use std::borrow::Borrow;
use std::hash::Hash;
use std::time::Duration;

type Engine<K, V, P> = Cache<
    K,
    Entry<V>,
    <P as EngineParts<K, V>>::Weigher,
    DefaultHashBuilder,
    <P as EngineParts<K, V>>::Lifecycle,
>;

/// The quick_cache engine; `P` picks its weigher and eviction listener (every entry
/// weighs 1 unless the cache has a `max_weight`).
pub struct QuickStore<K, V, P: EngineParts<K, V> = Unweighed> {
    engine: Engine<K, V, P>,
    parts: P,
    /// Reports removals and replacements to the `on_evict` hook (capacity evictions
    /// reach it through the engine's lifecycle).
    evictions: Evictions<K, V>,
}

/// quick_cache's placeholder: waiters block on it until it is filled or dropped.
pub struct QuickGuard<'a, K, V, P: EngineParts<K, V> = Unweighed>(
    PlaceholderGuard<'a, K, Entry<V>, P::Weigher, DefaultHashBuilder, P::Lifecycle>,
);

impl<K, V, P: EngineParts<K, V>> LoadGuard<V> for QuickGuard<'_, K, V, P>
where
    K: Eq + Hash + Clone,
    V: Clone,
{
    fn fill(self, entry: Entry<V>) {
        // Err means the placeholder was displaced by a concurrent insert, which wins.
        let _ = self.0.insert(entry);
    }
}

type Outcome<'a, K, V, P> = EntryResult<
    'a,
    K,
    Entry<V>,
    <P as EngineParts<K, V>>::Weigher,
    DefaultHashBuilder,
    <P as EngineParts<K, V>>::Lifecycle,
    Occupied<V>,
>;

/// What a claim asks of an occupied key.
#[derive(Clone, Copy)]
enum Ask {
    /// Its value if fresh, else the key to load.
    Value,
    /// The right to refresh it ahead of expiry, if due and no one has it.
    Refresh,
}

/// What a claim found at an occupied key.
enum Occupied<V> {
    Fresh(Entry<V>),
    RefreshClaimed,
    RefreshDeclined,
}

/// The callback of every `entry` call: one closure type for both asks, so the user's
/// crate compiles quick_cache's `entry` once per cache and not once per ask.
fn on_occupied<K, V: Clone>(
    ask: Ask,
    now: u64,
) -> impl FnOnce(&K, &mut Entry<V>) -> EntryAction<Occupied<V>> {
    move |_, entry| match ask {
        Ask::Value if entry.is_fresh(now) => EntryAction::Retain(Occupied::Fresh(entry.clone())),
        Ask::Value => EntryAction::ReplaceWithGuard,
        Ask::Refresh if entry.refresh_at <= now && entry.is_fresh(now) => {
            entry.refresh_at = u64::MAX;
            EntryAction::Retain(Occupied::RefreshClaimed)
        }
        Ask::Refresh => EntryAction::Retain(Occupied::RefreshDeclined),
    }
}

fn claim_from<K, V, P: EngineParts<K, V>>(
    result: Outcome<'_, K, V, P>,
) -> Claim<V, QuickGuard<'_, K, V, P>> {
    match result {
        EntryResult::Retained(Occupied::Fresh(entry)) => Claim::Ready(entry),
        EntryResult::Replaced(guard, previous) => Claim::Load {
            guard: QuickGuard(guard),
            previous: Some(previous),
        },
        EntryResult::Vacant(guard) => Claim::Load {
            guard: QuickGuard(guard),
            previous: None,
        },
        // `Ask::Value` never removes nor retains without a value, and `claim` waits
        // without a timeout.
        EntryResult::Retained(_) | EntryResult::Removed(..) | EntryResult::Timeout => {
            unreachable!("quick_cache entry() outcome excluded by the callback")
        }
    }
}

impl<K, V, P: EngineParts<K, V>> QuickStore<K, V, P> {
    /// An engine with these parts.
    #[doc(hidden)]
    pub fn with_parts(config: &CacheConfig, evictions: Evictions<K, V>, parts: P) -> Self {
        Self {
            engine: parts.engine(config, evictions.clone()),
            parts,
            evictions,
        }
    }
}

impl<K, V, P> LocalStore<K, V> for QuickStore<K, V, P>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    P: EngineParts<K, V>,
{
    type Guard<'a> = QuickGuard<'a, K, V, P>;

    fn build(config: &CacheConfig, evictions: Evictions<K, V>) -> Self {
        Self::with_parts(config, evictions, P::from_config(config))
    }

    fn too_heavy(&self) -> u64 {
        self.parts.too_heavy()
    }

    #[inline]
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
        claim_from(self.engine.entry(key, None, on_occupied(Ask::Value, now)))
    }

    async fn claim_async<'a, Q>(&'a self, key: &Q, now: u64) -> Claim<V, Self::Guard<'a>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + Sync + ?Sized,
    {
        claim_from(
            self.engine
                .entry_async(key, on_occupied(Ask::Value, now))
                .await,
        )
    }

    fn claim_refresh<Q>(&self, key: &Q, now: u64) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let claimed = self
            .engine
            .entry(key, Some(Duration::ZERO), on_occupied(Ask::Refresh, now));
        // Vacant: the entry vanished meanwhile; dropping the guard releases the key.
        matches!(claimed, EntryResult::Retained(Occupied::RefreshClaimed))
    }

    fn contains(&self, key: &K) -> bool {
        self.engine.contains_key(key)
    }

    fn insert(&self, key: K, entry: Entry<V>) {
        // quick_cache hands a value replaced in place to its lifecycle as if evicted: the
        // old value is taken out first (a load's placeholder is left to be replaced), so
        // that it is reported as replaced and not counted as an eviction.
        if let Some((old_key, old)) = self.engine.remove_if(&key, |_| true) {
            self.evictions
                .report(&old_key, &old.value, EvictionCause::Replaced);
        }
        self.engine.insert(key, entry);
    }

    fn remove<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Some((key, entry)) = self.engine.remove(key) else {
            return false;
        };
        self.evictions
            .report(&key, &entry.value, EvictionCause::Invalidated);
        true
    }

    fn clear(&self) {
        if self.evictions.hook().is_none() {
            self.engine.clear();
            return;
        }
        self.engine.retain(|key, entry| {
            self.evictions
                .report(key, &entry.value, EvictionCause::Invalidated);
            false
        });
    }

    fn entry_count(&self) -> u64 {
        self.engine.len() as u64
    }

    fn drop_dead(&self, keep: impl Fn(&K, &Entry<V>) -> bool) {
        self.engine.retain(|key, entry| {
            let kept = keep(key, entry);
            if !kept {
                self.evictions
                    .report(key, &entry.value, EvictionCause::Expired);
            }
            kept
        });
    }
}
