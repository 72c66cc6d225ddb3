//! `cache_err = true` caches `Err` too, for `err_ttl` when given — memory and a real
//! Redis. Sleeps here are the passing of time under test (the `err_ttl` running out).

use memotrace::cache::redis::{set_default_backend, RedisBackend, RedisConfig};
use memotrace_tests::redis_harness::shared_server;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct NotFound(u32);

/// Even ids exist; odd ids are not found.
fn find(calls: &AtomicUsize, id: u32) -> Result<String, NotFound> {
    calls.fetch_add(1, SeqCst);
    if id.is_multiple_of(2) {
        Ok(format!("item {id}"))
    } else {
        Err(NotFound(id))
    }
}

static MEMORY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(ttl = "1h", cache_err = true, err_ttl = "150ms")]
fn lookup(id: u32) -> Result<String, NotFound> {
    find(&MEMORY_CALLS, id)
}

#[test]
fn errors_are_cached_for_their_own_ttl() {
    assert_eq!(lookup(1), Err(NotFound(1)));
    assert_eq!(lookup(1), Err(NotFound(1)));
    assert_eq!(MEMORY_CALLS.load(SeqCst), 1, "the Err was cached");
    assert_eq!(lookup(2).as_deref(), Ok("item 2"));
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(lookup(1), Err(NotFound(1)));
    assert_eq!(
        MEMORY_CALLS.load(SeqCst),
        3,
        "the Err expired after err_ttl"
    );
    assert_eq!(lookup(2).as_deref(), Ok("item 2"));
    assert_eq!(MEMORY_CALLS.load(SeqCst), 3, "the Ok lives by the ttl");
}

static PLAIN_ERR_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(cache_err = true)]
fn lookup_forever(id: u32) -> Result<String, NotFound> {
    find(&PLAIN_ERR_CALLS, id)
}

#[test]
fn without_err_ttl_errors_live_as_values_do() {
    assert_eq!(lookup_forever(3), Err(NotFound(3)));
    assert_eq!(lookup_forever(3), Err(NotFound(3)));
    assert_eq!(PLAIN_ERR_CALLS.load(SeqCst), 1);
}

static REDIS_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = redis, key = "{id}", ttl = "1h", cache_err = true, err_ttl = "2s", name = "lookup_redis")]
async fn lookup_redis(id: u32) -> Result<String, NotFound> {
    find(&REDIS_CALLS, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_caches_errors_for_their_own_ttl() {
    let server = shared_server();
    set_default_backend(
        RedisBackend::connect(RedisConfig::url(server.url()).key_prefix("err")).unwrap(),
    );
    assert_eq!(lookup_redis(5).await, Err(NotFound(5)));
    assert_eq!(lookup_redis(5).await, Err(NotFound(5)));
    assert_eq!(REDIS_CALLS.load(SeqCst), 1, "the Err was cached");
    let pttl: i64 = server
        .cli(&["PTTL", "err:memotrace:v2:lookup_redis:5"])
        .parse()
        .unwrap();
    assert!(
        pttl > 0 && pttl <= 2_000,
        "the Err lives err_ttl: {pttl} ms"
    );
    assert_eq!(lookup_redis(6).await.as_deref(), Ok("item 6"));
    let pttl: i64 = server
        .cli(&["PTTL", "err:memotrace:v2:lookup_redis:6"])
        .parse()
        .unwrap();
    assert!(pttl > 3_500_000, "the Ok lives the ttl: {pttl} ms");
}
