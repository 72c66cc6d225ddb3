//! `fail_safe_throttle`: after a failed load answered by `stale_if_error`, the stale
//! value answers for the throttle without calling the loader again — memory and a real
//! Redis. Sleeps here are the passing of time under test (ttl and throttle running out).

use memotrace::cache::redis::{set_default_backend, RedisBackend, RedisConfig};
use memotrace_tests::redis_harness::shared_server;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

/// The first load succeeds, every later one fails (a backend that went down).
fn first_only(calls: &AtomicUsize, id: u32) -> Result<String, String> {
    match calls.fetch_add(1, SeqCst) {
        0 => Ok(format!("fresh {id}")),
        _ => Err("backend down".to_owned()),
    }
}

static MEMORY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(ttl = "100ms", stale_if_error = "1h", fail_safe_throttle = "400ms")]
fn throttled(id: u32) -> Result<String, String> {
    first_only(&MEMORY_CALLS, id)
}

#[test]
fn a_failed_load_is_not_retried_during_the_throttle() {
    assert_eq!(throttled(1).unwrap(), "fresh 1");
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(throttled(1).unwrap(), "fresh 1", "stale after the failure");
    assert_eq!(MEMORY_CALLS.load(SeqCst), 2);
    for _ in 0..10 {
        assert_eq!(throttled(1).unwrap(), "fresh 1");
    }
    assert_eq!(
        MEMORY_CALLS.load(SeqCst),
        2,
        "the failing loader is not called during the throttle"
    );
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(throttled(1).unwrap(), "fresh 1");
    assert_eq!(
        MEMORY_CALLS.load(SeqCst),
        3,
        "tried again after the throttle"
    );
    let stats = throttled_cache().stats();
    assert_eq!((stats.stale_served, stats.load_errors), (2, 2));
}

static REDIS_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = redis, ttl = "100ms", stale_if_error = "1h", fail_safe_throttle = "400ms", name = "throttled_redis")]
async fn throttled_redis(id: u32) -> Result<String, String> {
    first_only(&REDIS_CALLS, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_keeps_the_stale_value_answering_during_the_throttle() {
    let url = shared_server().url();
    set_default_backend(
        RedisBackend::connect(RedisConfig::url(url).key_prefix("failsafe")).unwrap(),
    );
    assert_eq!(throttled_redis(1).await.unwrap(), "fresh 1");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        throttled_redis(1).await.unwrap(),
        "fresh 1",
        "stale after the failure"
    );
    for _ in 0..10 {
        assert_eq!(throttled_redis(1).await.unwrap(), "fresh 1");
    }
    assert_eq!(
        REDIS_CALLS.load(SeqCst),
        2,
        "the failing loader is not called during the throttle"
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(throttled_redis(1).await.unwrap(), "fresh 1");
    assert_eq!(
        REDIS_CALLS.load(SeqCst),
        3,
        "tried again after the throttle"
    );
}
