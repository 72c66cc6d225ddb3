//! `{fn}_with_status(args..)` tells how a call was answered, and
//! `{fn}_cache().clear_and_reset_stats()` empties the cache and zeroes its counters, on
//! memory and on a real Redis (redis and tiered).

use memotrace::cache::redis::{set_default_backend, RedisBackend, RedisConfig};
use memotrace::cache::CacheStatus;
use memotrace_tests::redis_harness::shared_server;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::OnceLock;

#[memotrace::cached(when = x != 0)]
fn square(x: u64) -> u64 {
    x * x
}

#[test]
fn status_tells_miss_hit_and_bypass() {
    assert_eq!(square_with_status(3), (9, CacheStatus::Miss));
    assert_eq!(square_with_status(3), (9, CacheStatus::Hit));
    assert_eq!(square(3), 9);
    assert_eq!(square_with_status(0), (0, CacheStatus::Bypassed));
    let stats = square_cache().stats();
    assert_eq!((stats.hits, stats.misses, stats.bypassed), (2, 1, 1));
}

static FAIL: AtomicBool = AtomicBool::new(false);

#[memotrace::cached(ttl = "1s", stale_if_error = "1h")]
async fn price(id: u64) -> Result<u64, String> {
    if FAIL.load(SeqCst) {
        Err("backend down".into())
    } else {
        Ok(id * 100)
    }
}

#[tokio::test]
async fn status_tells_a_stale_answer_and_an_error_apart() {
    assert_eq!(price_with_status(1).await, (Ok(100), CacheStatus::Miss));
    FAIL.store(true, SeqCst);
    assert_eq!(
        price_with_status(2).await,
        (Err("backend down".into()), CacheStatus::Miss),
        "a failed load without a stale value"
    );
    // Expire the entry of 1: the coarse clock moves with real time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (answer, status) = price_with_status(1).await;
        if status == CacheStatus::Stale {
            assert_eq!(answer, Ok(100), "the expired value");
            break;
        }
        assert_eq!(status, CacheStatus::Hit);
        assert!(std::time::Instant::now() < deadline, "never expired");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[memotrace::cached]
fn cube(x: u64) -> u64 {
    x * x * x
}

#[test]
fn clear_and_reset_stats_empties_the_cache_and_zeroes_the_counters() {
    cube(2);
    cube(2);
    cube_invalidate(2);
    cube(3);
    let before = cube_cache().stats();
    assert_eq!((before.hits, before.misses, before.entries), (1, 2, 1));
    cube_cache().clear_and_reset_stats();
    let after = cube_cache().stats();
    assert_eq!(
        (
            after.hits,
            after.misses,
            after.loads,
            after.invalidations,
            after.entries
        ),
        (0, 0, 0, 0, 0)
    );
    assert_eq!(
        cube_with_status(3),
        (27, CacheStatus::Miss),
        "the entry is gone"
    );
}

#[memotrace::cached]
fn enabled(x: u64) -> bool {
    x != 0
}

/// `when` makes a cached call of its own.
#[memotrace::cached(when = enabled(x))]
fn halved(x: u64) -> u64 {
    x / 2
}

#[test]
fn a_hit_is_a_hit_when_the_condition_made_a_cached_call_that_missed() {
    assert_eq!(halved_with_status(8), (4, CacheStatus::Miss));
    enabled_invalidate(8);
    assert_eq!(
        halved_with_status(8),
        (4, CacheStatus::Hit),
        "`enabled(8)` missed, `halved(8)` did not"
    );
}

#[memotrace::cached]
fn base(x: u64) -> u64 {
    x + 1
}

/// The body makes cached calls, one of them through `{fn}_with_status`.
#[memotrace::cached(when = x.is_multiple_of(2))]
fn derived(x: u64) -> (u64, CacheStatus) {
    let (inner, status) = base_with_status(x + 100);
    (base(x) + inner, status)
}

#[test]
fn the_status_is_the_calls_own_not_the_last_of_the_calls_its_body_made() {
    // Bypassed while its body missed twice.
    assert_eq!(
        derived_with_status(1),
        ((2 + 102, CacheStatus::Miss), CacheStatus::Bypassed)
    );
    // A miss whose body hit `base(101)`: the inner scope saw its own hit.
    assert_eq!(
        derived_with_status(1),
        ((2 + 102, CacheStatus::Hit), CacheStatus::Bypassed)
    );
    base_invalidate(2);
    assert_eq!(
        derived_with_status(2),
        ((3 + 103, CacheStatus::Miss), CacheStatus::Miss)
    );
    base_invalidate(2);
    assert_eq!(
        derived_with_status(2),
        ((3 + 103, CacheStatus::Miss), CacheStatus::Hit),
        "cached: the body did not run"
    );
}

#[memotrace::cached]
async fn remote_base(x: u64) -> u64 {
    tokio::task::yield_now().await;
    x + 1
}

#[memotrace::cached(when = x.is_multiple_of(2))]
async fn remote_derived(x: u64) -> u64 {
    let first = remote_base(x).await;
    tokio::task::yield_now().await;
    first + remote_base(x + 100).await
}

struct Catalog {
    prefix: String,
}

impl Catalog {
    /// Borrowed arguments with elided lifetimes, and a receiver: the future
    /// `{fn}_with_status` returns borrows all of them, as the fn's own future does.
    #[memotrace::cached(key = "{self.prefix}:{name}:{suffix}")]
    async fn label(&self, name: &str, suffix: &str) -> String {
        tokio::task::yield_now().await;
        format!("{}{name}{suffix}", self.prefix)
    }
}

#[tokio::test]
async fn an_async_status_borrows_the_arguments_and_the_receiver() {
    let catalog = Catalog {
        prefix: "p-".to_owned(),
    };
    let (name, suffix) = (String::from("n"), String::from("-s"));
    let first = catalog.label_with_status(&name, &suffix);
    assert_eq!(first.await, ("p-n-s".to_owned(), CacheStatus::Miss));
    assert_eq!(
        catalog.label_with_status(&name, &suffix).await,
        ("p-n-s".to_owned(), CacheStatus::Hit)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_status_holds_across_awaits_and_concurrent_calls() {
    let calls = (0..8u64).map(|x| tokio::spawn(remote_derived_with_status(x)));
    for (x, call) in (0..8u64).zip(calls) {
        let expected = if x.is_multiple_of(2) {
            CacheStatus::Miss
        } else {
            CacheStatus::Bypassed
        };
        assert_eq!(call.await.expect("call"), (2 * x + 102, expected));
    }
    for x in (0..8u64).step_by(2) {
        assert_eq!(
            remote_derived_with_status(x).await,
            (2 * x + 102, CacheStatus::Hit)
        );
    }
}

fn redis() {
    static CONFIGURED: OnceLock<()> = OnceLock::new();
    CONFIGURED.get_or_init(|| {
        let url = shared_server().url();
        set_default_backend(
            RedisBackend::connect(RedisConfig::url(url).key_prefix("status")).expect("backend"),
        );
    });
}

#[memotrace::cached(store = redis, name = "remote_square")]
async fn remote_square(x: u64) -> u64 {
    x * x
}

#[memotrace::cached(store = tiered, name = "tiered_square")]
async fn tiered_square(x: u64) -> u64 {
    x * x
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_reset_on_redis_and_tiered() {
    redis();
    assert_eq!(remote_square_with_status(4).await, (16, CacheStatus::Miss));
    assert_eq!(remote_square_with_status(4).await, (16, CacheStatus::Hit));
    assert_eq!(tiered_square_with_status(4).await, (16, CacheStatus::Miss));
    assert_eq!(tiered_square_with_status(4).await, (16, CacheStatus::Hit));

    remote_square_cache().clear_and_reset_stats().await;
    tiered_square_cache().clear_and_reset_stats().await;
    for stats in [remote_square_cache().stats(), tiered_square_cache().stats()] {
        assert_eq!(
            (stats.hits, stats.misses, stats.loads),
            (0, 0, 0),
            "{stats:?}"
        );
    }
    assert_eq!(remote_square_with_status(4).await, (16, CacheStatus::Miss));
    assert_eq!(tiered_square_with_status(4).await, (16, CacheStatus::Miss));
}
