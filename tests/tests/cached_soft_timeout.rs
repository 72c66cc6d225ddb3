//! The soft `timeout`: while a stale value is held (`stale_if_error`), a load slower than
//! the timeout answers the stale value and goes on in the background; it lands in the
//! cache when it finishes, unless an invalidation came meanwhile; a background load that
//! fails leaves the stale value answering for the fail-safe throttle. Memory, and a real
//! Redis (`store = redis` and `tiered`).
//!
//! Sleeps here are the passing of time under test (a ttl or a throttle running out).
//! Held loads are released through semaphores, and the end of a background load is
//! awaited through the loaded value itself: the original (not its clones) signals when
//! the cache drops it, which it does once it has stored or refused it.

use memotrace::cache::redis::{set_default_backend, RedisBackend, RedisConfig};
use memotrace::cache::CacheStatus;
use memotrace_tests::capture::Capture;
use memotrace_tests::redis_harness::shared_server;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Fires `landed` once when dropped, unless it is a clone.
#[derive(Debug, Default)]
struct Landing(Option<&'static Semaphore>);

impl Clone for Landing {
    fn clone(&self) -> Self {
        Self(None)
    }
}

impl Drop for Landing {
    fn drop(&mut self) {
        if let Some(landed) = self.0 {
            landed.add_permits(1);
        }
    }
}

/// A loaded value: the load's number.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Loaded {
    version: usize,
    #[serde(skip)]
    _landing: Landing,
}

/// A failed load.
#[derive(Clone, Debug)]
struct Failed {
    _landing: Landing,
}

type Answer = Result<Loaded, Failed>;

/// The loads of one cached fn: the first answers at once; each later one waits for a
/// permit of `release`, then answers (or fails while `fail` is set) with a value that
/// signals `landed` when the cache is done with it.
struct Control {
    loads: AtomicUsize,
    release: Semaphore,
    landed: Semaphore,
    fail: AtomicBool,
}

impl Control {
    const fn new() -> Self {
        Self {
            loads: AtomicUsize::new(0),
            release: Semaphore::const_new(0),
            landed: Semaphore::const_new(0),
            fail: AtomicBool::new(false),
        }
    }

    async fn load(&'static self) -> Answer {
        let version = self.loads.fetch_add(1, SeqCst) + 1;
        if version == 1 {
            return Ok(Loaded {
                version,
                _landing: Landing(None),
            });
        }
        let permit = tokio::time::timeout(Duration::from_secs(10), self.release.acquire())
            .await
            .expect("the test never released the load");
        permit.unwrap().forget();
        let landing = Landing(Some(&self.landed));
        if self.fail.load(SeqCst) {
            return Err(Failed { _landing: landing });
        }
        Ok(Loaded {
            version,
            _landing: landing,
        })
    }

    fn loads(&self) -> usize {
        self.loads.load(SeqCst)
    }

    /// Releases the held load and waits until the cache is done with its value.
    async fn release_and_land(&self) {
        self.release.add_permits(1);
        let landed = tokio::time::timeout(Duration::from_secs(10), self.landed.acquire())
            .await
            .expect("the background load never landed");
        landed.unwrap().forget();
    }
}

fn version(answer: &Answer) -> usize {
    answer.as_ref().expect("a value").version
}

/// Calls `call`, checks it answered the stale `stale_version` within the timeout (not
/// before it: the load was given its time), and answers how long it took.
async fn answered_stale<F>(call: F, timeout_ms: u64, stale_version: usize) -> Duration
where
    F: std::future::Future<Output = (Answer, CacheStatus)>,
{
    let started = Instant::now();
    let (answer, status) = call.await;
    let took = started.elapsed();
    assert_eq!(
        (version(&answer), status),
        (stale_version, CacheStatus::Stale)
    );
    assert!(
        took >= Duration::from_millis(timeout_ms - 5),
        "answered before the timeout: {took:?}"
    );
    assert!(
        took < Duration::from_millis(timeout_ms + 700),
        "not answered within the timeout: {took:?}"
    );
    took
}

static LANDS: Control = Control::new();

#[memotrace::cached(
    ttl = "100ms",
    stale_if_error = "1h",
    fail_safe_throttle = "10s",
    timeout = "150ms"
)]
async fn lands(id: u32) -> Result<Loaded, Failed> {
    let _ = id;
    LANDS.load().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_load_answers_the_stale_value_and_lands_in_the_background() {
    assert_eq!(version(&lands(1).await), 1);
    tokio::time::sleep(Duration::from_millis(150)).await; // past the ttl
    let took = answered_stale(lands_with_status(1), 150, 1).await;
    println!("memory: stale answered after {took:?} (timeout 150ms)");
    for _ in 0..5 {
        assert_eq!(
            lands_with_status(1).await.1,
            CacheStatus::Hit,
            "the stale value answers at once meanwhile"
        );
    }
    assert_eq!(LANDS.loads(), 2, "no second load while the first goes on");
    LANDS.release_and_land().await;
    assert_eq!(
        lands_cache().get(&1).map(|v| v.version),
        Some(2),
        "the background load landed"
    );
    assert_eq!(version(&lands(1).await), 2);
    let stats = lands_cache().stats();
    assert_eq!(
        (
            stats.soft_timeouts,
            stats.stale_served,
            stats.refreshes,
            stats.loads,
            stats.load_errors
        ),
        (1, 1, 1, 2, 0)
    );
}

static FAILS: Control = Control::new();

#[memotrace::cached(
    ttl = "100ms",
    stale_if_error = "1h",
    fail_safe_throttle = "500ms",
    timeout = "150ms"
)]
async fn fails(id: u32) -> Result<Loaded, Failed> {
    let _ = id;
    FAILS.load().await
}

/// Decided behaviour: the stale value keeps answering until the fail-safe throttle
/// (counted from the failure) ends, the failure is counted in `load_errors` and logged
/// (`cache_refresh_failed`); the first call after the throttle loads again.
#[test]
fn a_background_load_that_fails_keeps_the_stale_value_for_the_throttle() {
    let capture = Capture::json();
    let rt = capture.runtime();
    capture.block_on(&rt, async {
        assert_eq!(version(&fails(1).await), 1);
        tokio::time::sleep(Duration::from_millis(150)).await;
        answered_stale(fails_with_status(1), 150, 1).await;
        FAILS.fail.store(true, SeqCst);
        FAILS.release_and_land().await;
        let stats = fails_cache().stats();
        assert_eq!((stats.load_errors, stats.refreshes), (1, 0));
        assert_eq!(
            fails_with_status(1).await.1,
            CacheStatus::Hit,
            "the stale value still answers during the throttle"
        );
        assert_eq!(FAILS.loads(), 2, "the loader is not called again meanwhile");

        tokio::time::sleep(Duration::from_millis(550)).await; // past the throttle
        FAILS.fail.store(false, SeqCst);
        answered_stale(fails_with_status(1), 150, 1).await;
        assert_eq!(FAILS.loads(), 3, "loaded again after the throttle");
        FAILS.release_and_land().await;
        assert_eq!(version(&fails(1).await), 3);
    });
    let failed = capture.one("cache_refresh_failed");
    assert_eq!(failed["level"], "warning", "{failed}");
    assert_eq!(failed["cache"], "cached_soft_timeout::fails", "{failed}");
}

static OUTLASTS: Control = Control::new();

#[memotrace::cached(
    ttl = "100ms",
    stale_if_error = "1h",
    fail_safe_throttle = "200ms",
    timeout = "100ms"
)]
async fn outlasts(id: u32) -> Result<Loaded, Failed> {
    let _ = id;
    OUTLASTS.load().await
}

/// A background load that outlasts the fail-safe throttle keeps the key's load right:
/// the stale value answers until it lands, and no call starts a second load meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_load_outlasting_the_throttle_is_the_only_load() {
    assert_eq!(version(&outlasts(1).await), 1);
    tokio::time::sleep(Duration::from_millis(150)).await; // past the ttl
    answered_stale(outlasts_with_status(1), 100, 1).await;
    tokio::time::sleep(Duration::from_millis(250)).await; // past the throttle; still held
    let (answer, status) = outlasts_with_status(1).await;
    assert_eq!(
        OUTLASTS.loads(),
        2,
        "a second load began while the first ran"
    );
    assert_eq!(
        (version(&answer), status),
        (1, CacheStatus::Hit),
        "the stale value answers at once while the load runs"
    );
    OUTLASTS.release_and_land().await;
    assert_eq!(version(&outlasts(1).await), 2, "the background load landed");
    assert_eq!(OUTLASTS.loads(), 2);
}

static INVALIDATED: Control = Control::new();

#[memotrace::cached(
    ttl = "100ms",
    stale_if_error = "1h",
    fail_safe_throttle = "10s",
    timeout = "100ms"
)]
async fn invalidated(id: u32) -> Result<Loaded, Failed> {
    let _ = id;
    INVALIDATED.load().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalidation_during_the_background_load_is_not_overwritten() {
    assert_eq!(version(&invalidated(1).await), 1);
    tokio::time::sleep(Duration::from_millis(150)).await;
    answered_stale(invalidated_with_status(1), 100, 1).await;
    assert!(invalidated_invalidate(1), "the stale value was held");
    INVALIDATED.release_and_land().await;
    assert_eq!(
        invalidated_cache().get(&1).map(|v| v.version),
        None,
        "the load that began before the invalidation was not stored"
    );
    // No stale value now: the call waits for its load (released before it starts).
    INVALIDATED.release.add_permits(1);
    let (answer, status) = invalidated_with_status(1).await;
    assert_eq!((version(&answer), status), (3, CacheStatus::Miss));
}

/// Redis caches of this binary use its server, under the key prefix `soft`.
fn configure_redis() {
    static CONFIGURED: OnceLock<()> = OnceLock::new();
    CONFIGURED.get_or_init(|| {
        let url = shared_server().url();
        let backend = RedisBackend::connect(RedisConfig::url(url).key_prefix("soft")).unwrap();
        set_default_backend(backend);
    });
}

static REDIS_LANDS: Control = Control::new();

#[memotrace::cached(store = redis, ttl = "200ms", stale_if_error = "1h", fail_safe_throttle = "10s", timeout = "150ms", name = "soft_redis")]
async fn redis_lands(id: u32) -> Result<Loaded, Failed> {
    let _ = id;
    REDIS_LANDS.load().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_answers_the_stale_value_and_the_background_load_lands() {
    configure_redis();
    redis_lands_cache().clear().await;
    assert_eq!(version(&redis_lands(1).await), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let took = answered_stale(redis_lands_with_status(1), 150, 1).await;
    println!("redis: stale answered after {took:?} (timeout 150ms)");
    assert_eq!(
        redis_lands_cache().get("1").await.map(|v| v.version),
        Some(1),
        "the stale value answers meanwhile, in every process"
    );
    assert_eq!(version(&redis_lands(1).await), 1);
    assert_eq!(REDIS_LANDS.loads(), 2, "no second load meanwhile");
    REDIS_LANDS.release_and_land().await;
    assert_eq!(
        redis_lands_cache().get("1").await.map(|v| v.version),
        Some(2),
        "the background load landed"
    );
    let stats = redis_lands_cache().stats();
    assert_eq!(
        (stats.soft_timeouts, stats.stale_served, stats.refreshes),
        (1, 1, 1)
    );
}

static REDIS_FAILS: Control = Control::new();

#[memotrace::cached(store = redis, ttl = "200ms", stale_if_error = "1h", fail_safe_throttle = "600ms", timeout = "150ms", name = "soft_redis_fails")]
async fn redis_fails(id: u32) -> Result<Loaded, Failed> {
    let _ = id;
    REDIS_FAILS.load().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_keeps_the_stale_value_when_the_background_load_fails() {
    configure_redis();
    redis_fails_cache().clear().await;
    assert_eq!(version(&redis_fails(1).await), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    answered_stale(redis_fails_with_status(1), 150, 1).await;
    REDIS_FAILS.fail.store(true, SeqCst);
    REDIS_FAILS.release_and_land().await;
    assert_eq!(redis_fails_cache().stats().load_errors, 1);
    assert_eq!(
        redis_fails(1).await.map(|v| v.version).ok(),
        Some(1),
        "the stale value still answers"
    );
    assert_eq!(REDIS_FAILS.loads(), 2, "the loader is not called meanwhile");
    tokio::time::sleep(Duration::from_millis(650)).await; // past the throttle
    REDIS_FAILS.fail.store(false, SeqCst);
    answered_stale(redis_fails_with_status(1), 150, 1).await;
    assert_eq!(REDIS_FAILS.loads(), 3, "loaded again after the throttle");
    REDIS_FAILS.release_and_land().await;
    assert_eq!(version(&redis_fails(1).await), 3);
}

static REDIS_INVALIDATED: Control = Control::new();

#[memotrace::cached(store = redis, ttl = "200ms", stale_if_error = "1h", fail_safe_throttle = "10s", timeout = "150ms", name = "soft_redis_invalidated")]
async fn redis_invalidated(id: u32) -> Result<Loaded, Failed> {
    let _ = id;
    REDIS_INVALIDATED.load().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_invalidation_during_the_background_load_is_not_overwritten() {
    configure_redis();
    redis_invalidated_cache().clear().await;
    assert_eq!(version(&redis_invalidated(1).await), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    answered_stale(redis_invalidated_with_status(1), 150, 1).await;
    assert!(
        redis_invalidated_invalidate(1).await,
        "the stale value was held"
    );
    REDIS_INVALIDATED.release_and_land().await;
    assert_eq!(
        redis_invalidated_cache().get("1").await.map(|v| v.version),
        None,
        "the load that began before the invalidation was not stored"
    );
    REDIS_INVALIDATED.release.add_permits(1);
    let (answer, status) = redis_invalidated_with_status(1).await;
    assert_eq!((version(&answer), status), (3, CacheStatus::Miss));
}

static TIERED_LANDS: Control = Control::new();

#[memotrace::cached(store = tiered, ttl = "200ms", stale_if_error = "1h", fail_safe_throttle = "10s", timeout = "150ms", name = "soft_tiered")]
async fn tiered_lands(id: u32) -> Result<Loaded, Failed> {
    let _ = id;
    TIERED_LANDS.load().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_answers_the_stale_value_and_the_background_load_reaches_both_tiers() {
    configure_redis();
    tiered_lands_cache().clear().await;
    assert_eq!(version(&tiered_lands(1).await), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    answered_stale(tiered_lands_with_status(1), 150, 1).await;
    assert_eq!(
        tiered_lands_cache().l1().get("1").map(|v| v.version),
        Some(1),
        "L1 keeps the stale value meanwhile"
    );
    assert_eq!(TIERED_LANDS.loads(), 2);
    TIERED_LANDS.release_and_land().await;
    assert_eq!(
        tiered_lands_cache().l2().get("1").await.map(|v| v.version),
        Some(2),
        "the background load reached L2"
    );
    // L1 takes the value right after L2 (the signal fires in between).
    let deadline = Instant::now() + Duration::from_secs(5);
    while tiered_lands_cache().l1().get("1").map(|v| v.version) != Some(2) {
        assert!(Instant::now() < deadline, "the value never reached L1");
        tokio::task::yield_now().await;
    }
    assert_eq!(version(&tiered_lands(1).await), 2);
}

/// A shared store's background load that outlasts the fail-safe throttle stays the key's
/// only load: it keeps the distributed lock (renewed), so a call after the throttle waits
/// for it and then answers its value. A second load would answer the stale value after
/// the soft timeout: the call is still waiting at 500 ms (over three times the timeout).
async fn shared_load_outlasting_the_throttle<F, Fut>(control: &Control, call: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (Answer, CacheStatus)>,
{
    assert_eq!(version(&call().await.0), 1);
    tokio::time::sleep(Duration::from_millis(250)).await; // past the ttl
    answered_stale(call(), 150, 1).await;
    tokio::time::sleep(Duration::from_millis(350)).await; // past the throttle; still held
    let waited = tokio::time::timeout(Duration::from_millis(500), call()).await;
    assert!(waited.is_err(), "answered without waiting: {waited:?}");
    assert_eq!(
        control.loads(),
        2,
        "a second load began while the first ran"
    );
    control.release_and_land().await;
    assert_eq!(version(&call().await.0), 2, "the background load landed");
    assert_eq!(control.loads(), 2);
}

static REDIS_OUTLASTS: Control = Control::new();

#[memotrace::cached(store = redis, ttl = "200ms", stale_if_error = "1h", fail_safe_throttle = "300ms", timeout = "150ms", name = "soft_redis_outlasts")]
async fn redis_outlasts(id: u32) -> Result<Loaded, Failed> {
    let _ = id;
    REDIS_OUTLASTS.load().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_background_load_outlasting_the_throttle_is_the_only_load() {
    configure_redis();
    redis_outlasts_cache().clear().await;
    shared_load_outlasting_the_throttle(&REDIS_OUTLASTS, || redis_outlasts_with_status(1)).await;
}

static TIERED_OUTLASTS: Control = Control::new();

#[memotrace::cached(store = tiered, ttl = "200ms", stale_if_error = "1h", fail_safe_throttle = "300ms", timeout = "150ms", name = "soft_tiered_outlasts")]
async fn tiered_outlasts(id: u32) -> Result<Loaded, Failed> {
    let _ = id;
    TIERED_OUTLASTS.load().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_background_load_outlasting_the_throttle_is_the_only_load() {
    configure_redis();
    tiered_outlasts_cache().clear().await;
    shared_load_outlasting_the_throttle(&TIERED_OUTLASTS, || tiered_outlasts_with_status(1)).await;
}
