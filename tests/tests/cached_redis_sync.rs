//! Sync fns on `store = redis | tiered` against a real redis-server: the store calls block
//! on memotrace's own runtime context, outside a tokio runtime and inside one (without
//! panicking), with single-flight across threads; the fn's body runs on the caller's
//! thread outside that context.

use memotrace::cache::CacheStatus;
use memotrace_tests::redis_harness::{default_backend_server, RedisServer};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Barrier;

fn server() -> &'static RedisServer {
    default_backend_server("sync")
}

static LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = redis, key = "square:{x}", name = "square", lock_timeout = "5s")]
fn square(x: u64) -> u64 {
    LOADS.fetch_add(1, SeqCst);
    std::thread::sleep(std::time::Duration::from_millis(50)); // a slow query
    x * x
}

#[test]
fn a_sync_fn_on_redis_loads_once_across_threads() {
    let server = server();
    let barrier = Barrier::new(8);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                barrier.wait();
                assert_eq!(square(3), 9);
            });
        }
    });
    assert_eq!(LOADS.load(SeqCst), 1, "single-flight across threads");
    assert_eq!(
        server.cli(&["EXISTS", "sync:memotrace:v2:square:square:3"]),
        "1"
    );
    assert_eq!(square_with_status(3), (9, CacheStatus::Hit));
}

static TIERED_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = tiered, key = "cube:{x}", name = "cube")]
fn cube(x: u64) -> u64 {
    TIERED_LOADS.fetch_add(1, SeqCst);
    x * x * x
}

#[tokio::test(flavor = "current_thread")]
async fn a_sync_fn_on_tiered_works_inside_a_runtime() {
    let server = server();
    // The runtime's only thread blocks in the call: it must not be needed, nor panic.
    assert_eq!(cube(2), 8);
    assert_eq!(cube_with_status(2), (8, CacheStatus::Hit));
    assert_eq!(TIERED_LOADS.load(SeqCst), 1);
    assert_eq!(
        server.cli(&["EXISTS", "sync:memotrace:v2:cube:cube:2"]),
        "1"
    );
    assert!(cube_invalidate(2).await, "the companions stay async");
    assert_eq!(cube_with_status(2), (8, CacheStatus::Miss));
}

static SAW_A_RUNTIME: AtomicBool = AtomicBool::new(true);

#[memotrace::cached(store = redis, key = "context:{x}", name = "context")]
fn sees_no_runtime(x: u64) -> u64 {
    // A `tokio::spawn` here would otherwise land on memotrace's connection runtime.
    SAW_A_RUNTIME.store(tokio::runtime::Handle::try_current().is_ok(), SeqCst);
    x + 1
}

#[test]
fn a_sync_body_runs_outside_the_stores_runtime_context() {
    let _server = server();
    assert_eq!(sees_no_runtime(1), 2);
    assert!(
        !SAW_A_RUNTIME.load(SeqCst),
        "the body ran inside memotrace's runtime context"
    );
    assert_eq!(sees_no_runtime_with_status(1), (2, CacheStatus::Hit));
}
