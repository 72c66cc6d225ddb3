//! `max_weight` with a `weigher` or the `Weigh` trait, on the quick_cache engine, on
//! moka (caches with a `tti`) and on a tiered cache's L1 (a real Redis): the cache holds
//! at most the budget, a value of exactly the budget is cached, a heavier one is not (and
//! is counted in `too_heavy`, not in `evictions`); on tiered, Redis still holds and
//! answers what L1 refuses or evicts, and `on_evict` hears of L1's evictions.

// A hook takes the cached value as `&V`: `&String` for a `String` cache.
#![allow(clippy::ptr_arg)]

use memotrace::cache::{CacheStatus, EvictionCause, Weigh};
use memotrace_tests::redis_harness::default_backend_server;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Mutex;
use std::time::Duration;

static LOADS: AtomicUsize = AtomicUsize::new(0);

/// A value of `len` bytes weighs `len`.
#[memotrace::cached(max_weight = 1_000, weigher = |_key, value| value.len())]
fn blob(id: u64, len: usize) -> Vec<u8> {
    LOADS.fetch_add(1, SeqCst);
    vec![id as u8; len]
}

#[test]
fn values_at_the_budget_are_cached_and_heavier_ones_are_not() {
    assert_eq!(blob_with_status(1, 1_000).1, CacheStatus::Miss);
    assert_eq!(
        blob_with_status(1, 1_000).1,
        CacheStatus::Hit,
        "exactly the budget is cached"
    );
    assert_eq!(blob_with_status(2, 1_001).1, CacheStatus::Miss);
    assert_eq!(
        blob_with_status(2, 1_001).1,
        CacheStatus::Miss,
        "over the budget is not"
    );
    let stats = blob_cache().stats();
    assert_eq!(stats.too_heavy, 2, "each refusal is counted");
    assert_eq!(stats.evictions, 0, "a refusal is not an eviction");
    assert_eq!(
        blob_with_status(1, 1_000).1,
        CacheStatus::Hit,
        "the cached value stayed"
    );
}

#[memotrace::cached(max_weight = "1KiB", max_capacity = 1_000)]
fn page(id: u64) -> String {
    format!("{id:0>100}")
}

#[test]
fn the_default_weigher_keeps_the_total_within_the_budget() {
    // The cache holds a clone: capacity = length, plus the String's header.
    let one = page(0).clone().weight();
    assert_eq!(one, 24 + 100);
    for id in 0..100 {
        page(id);
    }
    let stats = page_cache().stats();
    let held = stats.entries as usize * one;
    // quick_cache keeps up to 3 % of the budget in its probation queue.
    assert!(
        held <= 1024 * 103 / 100 + one,
        "held {held} bytes in {} entries",
        stats.entries
    );
    assert!(
        stats.entries >= 1024 / one as u64 - 1,
        "{} entries",
        stats.entries
    );
    assert!(stats.evictions > 0);
    assert_eq!(stats.too_heavy, 0);
    // A full cache admits a new key once it is asked for again (S3-FIFO's ghost queue).
    let statuses: Vec<CacheStatus> = (0..3).map(|_| page_with_status(500).1).collect();
    assert_eq!(statuses.last(), Some(&CacheStatus::Hit), "{statuses:?}");
}

#[test]
fn weigh_counts_owned_bytes() {
    assert_eq!(String::with_capacity(10).weight(), 24 + 10);
    assert_eq!(vec![0u32; 4].weight(), 24 + 16);
    assert_eq!(Some(7u64).weight(), 16);
    assert_eq!(vec![String::from("ab")].weight(), 24 + 24 + 2);
}

static IDLE_LOADS: AtomicUsize = AtomicUsize::new(0);

/// The same budget as `blob`, on a cache with a time to idle (moka).
#[memotrace::cached(tti = "5m", max_weight = 1_000, weigher = |_key, value| value.len())]
fn idle_blob(id: u64, len: usize) -> Vec<u8> {
    IDLE_LOADS.fetch_add(1, SeqCst);
    vec![id as u8; len]
}

#[test]
fn on_a_tti_cache_values_at_the_budget_are_cached_and_heavier_ones_are_not() {
    assert_eq!(idle_blob_with_status(1, 1_000).1, CacheStatus::Miss);
    assert_eq!(
        idle_blob_with_status(1, 1_000).1,
        CacheStatus::Hit,
        "exactly the budget is cached"
    );
    assert_eq!(idle_blob_with_status(2, 1_001).1, CacheStatus::Miss);
    assert_eq!(
        idle_blob_with_status(2, 1_001).1,
        CacheStatus::Miss,
        "over the budget is not"
    );
    assert_eq!(IDLE_LOADS.load(SeqCst), 3);
    let stats = idle_blob_cache().stats();
    assert_eq!(stats.too_heavy, 2, "each refusal is counted");
    assert_eq!(stats.evictions, 0, "a refusal is not an eviction");
    assert_eq!(
        idle_blob_with_status(1, 1_000).1,
        CacheStatus::Hit,
        "the cached value stayed"
    );
    // A value over the budget put in a key's place does not leave the old one served.
    idle_blob_put(1, 1_000, vec![1; 1_001]);
    assert_eq!(idle_blob_with_status(1, 1_000).1, CacheStatus::Miss);
    assert_eq!(idle_blob_cache().stats().too_heavy, 3);
}

#[memotrace::cached(tti = "5m", max_weight = "1KiB", max_capacity = 1_000)]
fn idle_page(id: u64) -> String {
    format!("{id:0>100}")
}

#[test]
fn on_a_tti_cache_the_default_weigher_keeps_the_total_within_the_budget() {
    let one = idle_page(0).clone().weight();
    for id in 0..100 {
        idle_page(id);
    }
    let stats = idle_page_cache().stats();
    let held = stats.entries as usize * one;
    assert!(
        held <= 1024,
        "held {held} bytes in {} entries",
        stats.entries
    );
    assert!(stats.entries >= 1, "{} entries", stats.entries);
    assert!(stats.evictions > 0);
    assert_eq!(stats.too_heavy, 0);
}

static TIERED_LOADS: AtomicUsize = AtomicUsize::new(0);

/// `blob` on a tiered cache: L1 holds at most 1,000 bytes.
#[memotrace::cached(
    store = tiered,
    key = "{id}:{len}",
    ttl = "1m",
    max_weight = 1_000,
    weigher = |_key, value| value.len(),
    name = "weight_tiered_blob"
)]
async fn tiered_blob(id: u64, len: usize) -> Vec<u8> {
    TIERED_LOADS.fetch_add(1, SeqCst);
    vec![id as u8; len]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_tiered_values_at_the_budget_are_kept_in_l1_and_heavier_ones_only_in_redis() {
    default_backend_server("weight");
    // Subscribing clears L1 (it may have missed invalidations until then).
    assert!(
        tiered_blob_cache()
            .subscribed(Duration::from_secs(10))
            .await
    );
    let cache = tiered_blob_cache();

    assert_eq!(tiered_blob_with_status(1, 1_000).await.1, CacheStatus::Miss);
    assert_eq!(cache.l1().get("1:1000").map(|v| v.len()), Some(1_000));
    assert_eq!(tiered_blob_with_status(1, 1_000).await.1, CacheStatus::Hit);
    assert_eq!(
        cache.l1().stats().hits,
        1,
        "exactly the budget answers from L1"
    );

    assert_eq!(tiered_blob_with_status(2, 1_001).await.1, CacheStatus::Miss);
    assert_eq!(
        cache.l1().get("2:1001"),
        None,
        "over the budget is not kept in L1"
    );
    assert_eq!(
        cache.l2().get("2:1001").await.map(|v| v.len()),
        Some(1_001),
        "but is written to Redis"
    );
    assert_eq!(
        tiered_blob_with_status(2, 1_001).await.1,
        CacheStatus::Hit,
        "Redis answers it"
    );
    assert_eq!(TIERED_LOADS.load(SeqCst), 2, "each value was loaded once");
    let stats = cache.stats();
    assert_eq!(stats.too_heavy, 2, "each refusal by L1 is counted");
    assert_eq!(stats.evictions, 0, "a refusal is not an eviction");
    assert_eq!(cache.l1().get("1:1000").map(|v| v.len()), Some(1_000));
}

static TIERED_PAGE_LOADS: AtomicUsize = AtomicUsize::new(0);
static TIERED_PAGE_EVICTED: Mutex<Vec<(String, EvictionCause)>> = Mutex::new(Vec::new());

fn tiered_page_evicted(key: &String, value: &String, cause: EvictionCause) {
    assert_eq!(value.len(), 100, "the hook gets the value");
    TIERED_PAGE_EVICTED
        .lock()
        .unwrap()
        .push((key.clone(), cause));
}

/// `page` on a tiered cache, weighed by the default weigher (`Weigh`).
#[memotrace::cached(
    store = tiered,
    key = "{id}",
    ttl = "1m",
    max_weight = "1KiB",
    max_capacity = 1_000,
    on_evict = tiered_page_evicted,
    name = "weight_tiered_page"
)]
async fn tiered_page(id: u64) -> String {
    TIERED_PAGE_LOADS.fetch_add(1, SeqCst);
    format!("{id:0>100}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_l1_evicts_by_weight_and_redis_still_answers() {
    default_backend_server("weight");
    assert!(
        tiered_page_cache()
            .subscribed(Duration::from_secs(10))
            .await
    );
    let cache = tiered_page_cache();
    for id in 0..30 {
        tiered_page(id).await;
    }
    let l1 = cache.l1();
    let held: usize = (0..30)
        .filter_map(|id| l1.get(id.to_string().as_str()))
        .map(|v| v.weight())
        .sum();
    // quick_cache keeps up to 3 % of the budget in its probation queue.
    assert!(held <= 1024 * 103 / 100 + 124, "L1 held {held} bytes");
    let evicted = std::mem::take(&mut *TIERED_PAGE_EVICTED.lock().unwrap());
    let stats = cache.stats();
    assert!(stats.evictions > 0, "L1 had to make room");
    assert_eq!(
        evicted.len() as u64,
        stats.evictions,
        "one report per eviction"
    );
    assert!(evicted
        .iter()
        .all(|(_, cause)| *cause == EvictionCause::Capacity));
    assert_eq!(stats.too_heavy, 0);

    let (gone, _) = &evicted[0];
    assert_eq!(l1.get(gone.as_str()), None, "evicted from L1");
    let id: u64 = gone.parse().unwrap();
    assert_eq!(
        tiered_page_with_status(id).await,
        (format!("{id:0>100}"), CacheStatus::Hit)
    );
    assert_eq!(
        TIERED_PAGE_LOADS.load(SeqCst),
        30,
        "Redis answered, no load"
    );
}
