//! `hard_timeout`: a call gives up waiting — for its own load or another caller's — and
//! answers `Err(Timeout.into())`; every waiter is released. Memory and a real Redis.

use memotrace::cache::redis::{set_default_backend, RedisBackend, RedisConfig};
use memotrace::cache::{CacheStatus, Timeout};
use memotrace_tests::redis_harness::shared_server;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

#[derive(Debug, PartialEq)]
enum LoadError {
    TimedOut(Duration),
}

impl From<Timeout> for LoadError {
    fn from(t: Timeout) -> Self {
        LoadError::TimedOut(t.limit())
    }
}

/// Ids below 1000 load at once; others take a minute (a backend that hangs).
async fn load(loads: &AtomicUsize, id: u64) -> Result<u64, LoadError> {
    loads.fetch_add(1, SeqCst);
    if id >= 1_000 {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    Ok(id * 2)
}

static MEMORY_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(hard_timeout = "200ms")]
async fn bounded(id: u64) -> Result<u64, LoadError> {
    load(&MEMORY_LOADS, id).await
}

/// Calls `call` from `n` tasks at once; every result and the slowest call's time.
async fn stampede<F>(n: usize, call: fn() -> F) -> (Vec<Result<u64, LoadError>>, Duration)
where
    F: std::future::Future<Output = Result<u64, LoadError>> + Send + 'static,
{
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            tokio::spawn(async move {
                let started = Instant::now();
                (call().await, started.elapsed())
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    let mut slowest = Duration::ZERO;
    for task in tasks {
        let (result, took) = tokio::time::timeout(Duration::from_secs(20), task)
            .await
            .expect("a waiter was never released")
            .unwrap();
        results.push(result);
        slowest = slowest.max(took);
    }
    (results, slowest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_waiters_on_a_hung_load_are_all_released_with_the_timeout() {
    let (results, slowest) = stampede(1_000, || bounded(1_000)).await;
    println!("memory: slowest of 1000 waiters released after {slowest:?}");
    assert!(
        results
            .iter()
            .all(|r| *r == Err(LoadError::TimedOut(Duration::from_millis(200)))),
        "every caller gets the timeout"
    );
    assert!(
        slowest < Duration::from_secs(5),
        "released late: {slowest:?}"
    );
    assert_eq!(bounded_cache().stats().entries, 0, "nothing stored");
    // A load within the bound is answered and cached as usual.
    assert_eq!(bounded(7).await, Ok(14));
    assert_eq!(bounded(7).await, Ok(14));
    assert_eq!(bounded_cache().stats().hits, 1);
}

#[memotrace::cached(hard_timeout = "100ms")]
async fn bounded_briefly(id: u64) -> Result<u64, LoadError> {
    load(&MEMORY_LOADS, id).await
}

#[tokio::test]
async fn with_status_is_bounded_too_and_a_timeout_is_a_miss() {
    let started = Instant::now();
    assert_eq!(
        bounded_briefly_with_status(2_000).await,
        (
            Err(LoadError::TimedOut(Duration::from_millis(100))),
            CacheStatus::Miss
        )
    );
    assert!(started.elapsed() < Duration::from_secs(20), "not bounded");
    assert_eq!(
        bounded_briefly_with_status(8).await,
        (Ok(16), CacheStatus::Miss)
    );
    assert_eq!(
        bounded_briefly_with_status(8).await,
        (Ok(16), CacheStatus::Hit)
    );
}

static REDIS_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = redis, ttl = "1m", hard_timeout = "300ms", name = "bounded_redis")]
async fn bounded_redis(id: u64) -> Result<u64, LoadError> {
    load(&REDIS_LOADS, id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_waiters_on_a_hung_load_are_all_released_with_the_timeout() {
    let backend =
        RedisBackend::connect(RedisConfig::url(shared_server().url()).key_prefix("hard")).unwrap();
    set_default_backend(backend);
    let (results, slowest) = stampede(200, || bounded_redis(1_000)).await;
    println!("redis: slowest of 200 waiters released after {slowest:?}");
    assert!(
        results
            .iter()
            .all(|r| *r == Err(LoadError::TimedOut(Duration::from_millis(300)))),
        "every caller gets the timeout"
    );
    assert!(
        slowest < Duration::from_secs(5),
        "released late: {slowest:?}"
    );
    assert_eq!(bounded_redis(8).await, Ok(16));
    assert_eq!(bounded_redis(8).await, Ok(16));
}
