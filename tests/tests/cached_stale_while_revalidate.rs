//! `stale_while_revalidate`: after the ttl, for the window, a call answers the expired
//! value at once and one caller reloads it in the background — on the memory store and
//! on a real Redis (`store = redis` and `tiered`). Sleeps here are the passing of time
//! under test (the ttl running out), not synchronisation: background loads are held
//! and released through semaphores.

use memotrace::cache::redis::{set_default_backend, RedisBackend, RedisConfig};
use memotrace_tests::redis_harness::shared_server;
use memotrace_tests::wait_until;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// A loader whose first call answers at once and later calls wait for a permit.
struct Gate {
    calls: AtomicUsize,
    permits: Mutex<usize>,
    opened: Condvar,
}

impl Gate {
    const fn new() -> Self {
        Self {
            calls: AtomicUsize::new(0),
            permits: Mutex::new(0),
            opened: Condvar::new(),
        }
    }

    fn load(&self) -> usize {
        let n = self.calls.fetch_add(1, SeqCst) + 1;
        if n > 1 {
            let permits = self.permits.lock().unwrap();
            let (mut permits, timeout) = self
                .opened
                .wait_timeout_while(permits, Duration::from_secs(10), |p| *p == 0)
                .unwrap();
            assert!(!timeout.timed_out(), "the test never opened the gate");
            *permits -= 1;
        }
        n
    }

    fn open(&self) {
        *self.permits.lock().unwrap() += 1;
        self.opened.notify_all();
    }
}

static SYNC_GATE: Gate = Gate::new();

#[memotrace::cached(ttl = "150ms", stale_while_revalidate = "10s")]
fn revalidated(key: &str) -> String {
    format!("{key}-v{}", SYNC_GATE.load())
}

#[test]
fn an_expired_value_is_answered_at_once_while_one_caller_reloads_it() {
    assert_eq!(revalidated("k"), "k-v1");
    std::thread::sleep(Duration::from_millis(250)); // past the ttl, inside the window
    let started = Instant::now();
    for _ in 0..5 {
        assert_eq!(revalidated("k"), "k-v1", "the expired value, at once");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no call waited for the held reload"
    );
    wait_until(Duration::from_secs(5), "the background reload", || {
        SYNC_GATE.calls.load(SeqCst) == 2
    });
    SYNC_GATE.open();
    wait_until(Duration::from_secs(5), "the reloaded value", || {
        revalidated_cache().get("k").as_deref() == Some("k-v2")
    });
    assert_eq!(revalidated("k"), "k-v2");
    assert_eq!(SYNC_GATE.calls.load(SeqCst), 2, "one reload in all");
    let stats = revalidated_cache().stats();
    assert_eq!((stats.misses, stats.loads, stats.refreshes), (1, 2, 1));
}

/// Redis caches of this binary use its server, under the key prefix `swr`.
fn configure_redis() {
    static CONFIGURED: OnceLock<()> = OnceLock::new();
    CONFIGURED.get_or_init(|| {
        let url = shared_server().url();
        let backend = RedisBackend::connect(RedisConfig::url(url).key_prefix("swr")).unwrap();
        set_default_backend(backend);
    });
}

static REDIS_LOADS: AtomicUsize = AtomicUsize::new(0);
static REDIS_GATE: Semaphore = Semaphore::const_new(0);

async fn gated_load(loads: &AtomicUsize, gate: &Semaphore) -> usize {
    let n = loads.fetch_add(1, SeqCst) + 1;
    if n > 1 {
        let permit = tokio::time::timeout(Duration::from_secs(10), gate.acquire())
            .await
            .expect("the test never opened the gate");
        permit.unwrap().forget();
    }
    n
}

/// Waits (bounded) until `loads` reaches `n`: the background reload has started.
async fn wait_for_loads(loads: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while loads.load(SeqCst) != n {
        assert!(
            Instant::now() < deadline,
            "the background reload never started"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[memotrace::cached(store = redis, ttl = "300ms", stale_while_revalidate = "10s", name = "swr_redis")]
async fn redis_revalidated(id: u64) -> u64 {
    id * 100 + gated_load(&REDIS_LOADS, &REDIS_GATE).await as u64
}

static TIERED_LOADS: AtomicUsize = AtomicUsize::new(0);
static TIERED_GATE: Semaphore = Semaphore::const_new(0);

#[memotrace::cached(store = tiered, ttl = "300ms", stale_while_revalidate = "10s", name = "swr_tiered")]
async fn tiered_revalidated(id: u64) -> u64 {
    id * 100 + gated_load(&TIERED_LOADS, &TIERED_GATE).await as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_answers_the_expired_value_and_reloads_once_in_the_background() {
    configure_redis();
    assert_eq!(redis_revalidated(1).await, 101);
    tokio::time::sleep(Duration::from_millis(400)).await;
    for _ in 0..5 {
        assert_eq!(
            redis_revalidated(1).await,
            101,
            "the expired value, at once"
        );
    }
    wait_for_loads(&REDIS_LOADS, 2).await;
    REDIS_GATE.add_permits(1);
    let deadline = Instant::now() + Duration::from_secs(5);
    while redis_revalidated_cache().get("1").await != Some(102) {
        assert!(Instant::now() < deadline, "the reload never landed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(redis_revalidated(1).await, 102);
    assert_eq!(REDIS_LOADS.load(SeqCst), 2, "one reload in all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_answers_the_expired_value_and_reloads_once_in_the_background() {
    configure_redis();
    assert_eq!(tiered_revalidated(2).await, 201);
    tokio::time::sleep(Duration::from_millis(400)).await;
    for _ in 0..5 {
        assert_eq!(
            tiered_revalidated(2).await,
            201,
            "the expired value, at once"
        );
    }
    wait_for_loads(&TIERED_LOADS, 2).await;
    TIERED_GATE.add_permits(1);
    let deadline = Instant::now() + Duration::from_secs(5);
    while tiered_revalidated(2).await != 202 {
        assert!(Instant::now() < deadline, "the reload never reached L1");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(TIERED_LOADS.load(SeqCst), 2);
}
