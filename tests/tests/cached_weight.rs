//! `max_weight` with a `weigher` or the `Weigh` trait, on the quick_cache engine and on
//! moka (caches with a `tti`): the cache holds at most the budget, a value of exactly
//! the budget is cached, a heavier one is not (and is counted in `too_heavy`, not in
//! `evictions`).

use memotrace::cache::{CacheStatus, Weigh};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

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
