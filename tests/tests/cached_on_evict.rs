//! `on_evict = path`: the hook hears of every entry leaving a memory cache, with its key,
//! its value and the cause — capacity (quick_cache's lifecycle, moka's listener),
//! expired (the sweep of dead entries, moka's tti), invalidated and replaced (the
//! store's remove and replace paths) — and, on `store = tiered`, of entries leaving L1
//! (a real Redis). Sleeps here are the passing of time under test (a ttl or tti running
//! out), not synchronisation.

// A hook takes the cached value as `&V`: `&String` for these `String` caches.
#![allow(clippy::ptr_arg)]

use memotrace::cache::EvictionCause::{self, Capacity, Expired, Invalidated, Replaced};
use memotrace_tests::redis_harness::default_backend_server;
use std::sync::Mutex;
use std::time::Duration;

/// What one cache's hook heard.
struct Heard(Mutex<Vec<(String, String, EvictionCause)>>);

impl Heard {
    const fn new() -> Self {
        Self(Mutex::new(Vec::new()))
    }

    fn push(&self, key: impl ToString, value: &str, cause: EvictionCause) {
        let mut heard = self.0.lock().unwrap();
        heard.push((key.to_string(), value.to_owned(), cause));
    }

    fn take(&self) -> Vec<(String, String, EvictionCause)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn heard(key: &str, value: &str, cause: EvictionCause) -> (String, String, EvictionCause) {
    (key.to_owned(), value.to_owned(), cause)
}

static SMALL: Heard = Heard::new();

fn small_evicted(key: &u64, value: &String, cause: EvictionCause) {
    SMALL.push(key, value, cause);
}

#[memotrace::cached(max_capacity = 8, on_evict = small_evicted)]
fn small(id: u64) -> String {
    format!("v{id}")
}

#[test]
fn entries_dropped_for_capacity_are_reported_with_their_value() {
    for id in 0..500 {
        small(id);
    }
    let heard = SMALL.take();
    let evictions = small_cache().stats().evictions;
    assert!(evictions > 0, "the cache had to make room");
    assert_eq!(heard.len() as u64, evictions, "one report per eviction");
    for (key, value, cause) in &heard {
        assert_eq!(
            (value.as_str(), *cause),
            (format!("v{key}").as_str(), Capacity)
        );
    }
}

static WRITTEN: Heard = Heard::new();

fn written_evicted(key: &u64, value: &String, cause: EvictionCause) {
    WRITTEN.push(key, value, cause);
}

#[memotrace::cached(tags = ["all"], on_evict = written_evicted)]
fn written(id: u64) -> String {
    format!("v{id}")
}

#[test]
fn writes_and_invalidations_are_reported_as_replaced_and_invalidated() {
    written(1);
    written_put(1, "new".to_owned());
    assert!(written_invalidate(1));
    assert_eq!(
        WRITTEN.take(),
        [heard("1", "v1", Replaced), heard("1", "new", Invalidated)]
    );
    written(2);
    memotrace::cache::registry(); // other caches are untouched
    assert_eq!(written_cache().invalidate_tag_now("all"), 1);
    assert_eq!(WRITTEN.take(), [heard("2", "v2", Invalidated)]);
    written(3);
    written(4);
    written_cache().clear();
    let mut cleared = WRITTEN.take();
    cleared.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        cleared,
        [heard("3", "v3", Invalidated), heard("4", "v4", Invalidated)]
    );
}

static SWEPT: Heard = Heard::new();

fn swept_evicted(key: &u64, value: &String, cause: EvictionCause) {
    SWEPT.push(key, value, cause);
}

#[memotrace::cached(ttl = "100ms", on_evict = swept_evicted)]
fn swept(id: u64) -> String {
    format!("v{id}")
}

#[test]
fn entries_swept_after_their_ttl_are_reported_as_expired() {
    swept(1); // the first store sweeps (nothing dead) and schedules the next in 1 s
    std::thread::sleep(Duration::from_millis(1_100));
    swept(2); // due: key 1 is dead
    assert_eq!(SWEPT.take(), [heard("1", "v1", Expired)]);
}

static IDLE: Heard = Heard::new();

fn idle_evicted(key: &u64, value: &String, cause: EvictionCause) {
    IDLE.push(key, value, cause);
}

#[memotrace::cached(tti = "100ms", on_evict = idle_evicted)]
fn idle(id: u64) -> String {
    format!("v{id}")
}

#[test]
fn moka_reports_idle_expiry_writes_and_invalidations() {
    idle(1);
    idle_put(1, "new".to_owned());
    assert!(idle_invalidate(1));
    assert_eq!(
        IDLE.take(),
        [heard("1", "v1", Replaced), heard("1", "new", Invalidated)]
    );
    idle(2);
    std::thread::sleep(Duration::from_millis(250));
    let _ = idle_cache().stats(); // runs moka's pending maintenance
    assert_eq!(IDLE.take(), [heard("2", "v2", Expired)]);
}

static MOKA_SMALL: Heard = Heard::new();

fn moka_small_evicted(key: &u64, value: &String, cause: EvictionCause) {
    MOKA_SMALL.push(key, value, cause);
}

#[memotrace::cached(tti = "1h", max_capacity = 4, on_evict = moka_small_evicted)]
fn moka_small(id: u64) -> String {
    format!("v{id}")
}

#[test]
fn moka_reports_capacity_evictions() {
    for id in 0..200 {
        moka_small(id);
    }
    let evictions = moka_small_cache().stats().evictions;
    let heard = MOKA_SMALL.take();
    assert!(evictions > 0, "the cache had to make room");
    assert_eq!(heard.len() as u64, evictions, "one report per eviction");
    assert!(heard
        .iter()
        .all(|(key, value, cause)| *value == format!("v{key}") && *cause == Capacity));
}

static TIERED: Heard = Heard::new();

fn tiered_evicted(key: &String, value: &u64, cause: EvictionCause) {
    TIERED.push(key, &value.to_string(), cause);
}

#[memotrace::cached(store = tiered, key = "{id}", ttl = "1m", on_evict = tiered_evicted, name = "evict_tiered")]
async fn tiered(id: u64) -> u64 {
    id * 10
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_reports_entries_leaving_l1() {
    default_backend_server("evict");
    // Subscribing clears L1 (it may have missed invalidations until then).
    assert!(tiered_cache().subscribed(Duration::from_secs(10)).await);
    tiered(1).await;
    assert_eq!(tiered_cache().l1().get("1"), Some(10), "held in L1");
    assert!(tiered_put(1, 11).await);
    assert!(tiered_invalidate(1).await);
    assert_eq!(
        TIERED.take(),
        [heard("1", "10", Replaced), heard("1", "11", Invalidated)]
    );
}
