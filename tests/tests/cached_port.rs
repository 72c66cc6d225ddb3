//! The `cached` crate's `with_cached_flag`/`Return` and `expires = true` behaviours,
//! expressed with memotrace's arguments on the memory store: `{fn}_with_status` and
//! [`CacheStatus`] in place of a flagged return value, `expires = true` with
//! [`Expires`] (a value says when it stops being valid), `key = ..` in place of a key
//! conversion, `{fn}_put` in place of priming the cache, a key that ignores every
//! argument in place of a single-value cache, and `stale_if_error` in place of falling
//! back to the expired value on `Err`.
//!
//! A value here is either already expired when it is loaded (memotrace does not store
//! it: the next call runs the fn again, as an expired entry does there) or valid for an
//! hour. Where a stored value must expire later, its lifetime is short and the wait for
//! it is bounded.

use memotrace::cache::{CacheStatus, Expires};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant, SystemTime};

/// A value that carries its own validity, as the ported tests' values do.
#[derive(Clone, Debug, PartialEq)]
struct Val {
    v: u32,
    valid_until: SystemTime,
}

impl Val {
    /// `expired`: already invalid when loaded; otherwise valid for an hour.
    fn new(v: u32, expired: bool) -> Self {
        let valid_until = if expired {
            SystemTime::UNIX_EPOCH
        } else {
            SystemTime::now() + Duration::from_secs(3_600)
        };
        Self { v, valid_until }
    }

    /// Valid for `lifetime` from now.
    fn for_(v: u32, lifetime: Duration) -> Self {
        Self {
            v,
            valid_until: SystemTime::now() + lifetime,
        }
    }

    fn expired(&self) -> bool {
        self.valid_until <= SystemTime::now()
    }
}

impl Expires for Val {
    fn expires_at(&self) -> Option<SystemTime> {
        Some(self.valid_until)
    }
}

/// Calls `call` until it answers with `wanted` (the stored value expired), for at most
/// 5 s, and returns that answer; every earlier answer must be a hit.
fn until_expired<T>(wanted: CacheStatus, mut call: impl FnMut() -> (T, CacheStatus)) -> T {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (answer, status) = call();
        if status == wanted {
            return answer;
        }
        assert_eq!(status, CacheStatus::Hit, "before expiry");
        assert!(Instant::now() < deadline, "the value never expired");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- with_cached_flag / Return ----

#[memotrace::cached]
fn flagged(n: i32) -> i32 {
    n
}

/// Ports: a flagged plain return reports "not cached" on the first call and "cached" on
/// the second, with the same value, and the cache counts one hit and one miss.
#[test]
fn status_of_a_plain_return_is_miss_then_hit() {
    assert_eq!(flagged_with_status(1), (1, CacheStatus::Miss));
    let (value, status) = flagged_with_status(1);
    assert_eq!(value, 1);
    assert!(status.from_cache());
    let stats = flagged_cache().stats();
    assert_eq!((stats.hits, stats.misses), (1, 1));
}

#[memotrace::cached]
fn flagged_result(n: i32) -> Result<i32, ()> {
    if n == 10 {
        Err(())
    } else {
        Ok(n)
    }
}

/// Ports: a flagged `Result` return reports miss then hit for `Ok`; an `Err` is returned,
/// is not cached, and counts as a miss (one hit, two misses).
#[test]
fn status_of_a_result_return_is_miss_then_hit_and_err_is_a_miss() {
    assert_eq!(flagged_result_with_status(1), (Ok(1), CacheStatus::Miss));
    assert_eq!(flagged_result_with_status(1), (Ok(1), CacheStatus::Hit));
    assert_eq!(flagged_result_with_status(10), (Err(()), CacheStatus::Miss));
    let stats = flagged_result_cache().stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (1, 2, 1));
}

#[memotrace::cached]
fn flagged_option(n: i32) -> Option<i32> {
    (n != 10).then_some(n)
}

/// Ports: a flagged `Option` return reports miss then hit for `Some`; a `None` is
/// returned, is not cached, and counts as a miss (one hit, two misses).
#[test]
fn status_of_an_option_return_is_miss_then_hit_and_none_is_a_miss() {
    assert_eq!(flagged_option_with_status(1), (Some(1), CacheStatus::Miss));
    assert_eq!(flagged_option_with_status(1), (Some(1), CacheStatus::Hit));
    assert_eq!(flagged_option_with_status(10), (None, CacheStatus::Miss));
    let stats = flagged_option_cache().stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (1, 2, 1));
}

static ASYNC_FLAG_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
async fn flagged_double(x: u64) -> Result<u64, std::convert::Infallible> {
    ASYNC_FLAG_CALLS.fetch_add(1, SeqCst);
    Ok(x * 2)
}

/// Ports: an async fn with a flagged `Result` return reports "not cached" then
/// "cached", and its body ran once.
#[tokio::test]
async fn status_of_an_async_fn_is_miss_then_hit() {
    assert_eq!(
        flagged_double_with_status(7).await,
        (Ok(14), CacheStatus::Miss)
    );
    assert_eq!(
        flagged_double_with_status(7).await,
        (Ok(14), CacheStatus::Hit)
    );
    assert_eq!(ASYNC_FLAG_CALLS.load(SeqCst), 1);
}

#[memotrace::cached(key = "once")]
fn once_flag(n: u32) -> u32 {
    n + 1
}

/// Ports: a single-value (`once`) cache with the flag keeps its first value for every
/// later argument, reporting "not cached" then "cached".
#[test]
fn status_of_a_single_value_cache_is_miss_then_hit_for_any_argument() {
    assert_eq!(once_flag_with_status(10), (11, CacheStatus::Miss));
    assert_eq!(once_flag_with_status(999), (11, CacheStatus::Hit));
}

#[memotrace::cached(key = "once")]
fn once_result_flag(ok: bool) -> Result<u32, ()> {
    if ok {
        Ok(1)
    } else {
        Err(())
    }
}

/// Ports: a single-value cache of a `Result` with the flag: an `Err` is not kept, the
/// first `Ok` is reported "not cached", the next "cached".
#[test]
fn status_of_a_single_value_result_cache_skips_err() {
    assert_eq!(
        once_result_flag_with_status(false),
        (Err(()), CacheStatus::Miss)
    );
    assert_eq!(
        once_result_flag_with_status(true),
        (Ok(1), CacheStatus::Miss)
    );
    assert_eq!(
        once_result_flag_with_status(true),
        (Ok(1), CacheStatus::Hit)
    );
}

#[memotrace::cached(key = "once")]
fn once_option_flag(some: bool) -> Option<u32> {
    some.then_some(2)
}

/// Ports: a single-value cache of an `Option` with the flag: a `None` is not kept, the
/// first `Some` is reported "not cached", the next "cached".
#[test]
fn status_of_a_single_value_option_cache_skips_none() {
    assert_eq!(
        once_option_flag_with_status(false),
        (None, CacheStatus::Miss)
    );
    assert_eq!(
        once_option_flag_with_status(true),
        (Some(2), CacheStatus::Miss)
    );
    assert_eq!(
        once_option_flag_with_status(true),
        (Some(2), CacheStatus::Hit)
    );
}

// ---- cache_err / cache_none ----

static CACHE_ERR_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(cache_err = true)]
fn always_err(n: u32) -> Result<u32, u32> {
    CACHE_ERR_CALLS.fetch_add(1, SeqCst);
    Err(n)
}

/// Ports: with `cache_err = true` an `Err` is cached: the second call returns it without
/// running the fn.
#[test]
fn cache_err_caches_the_err() {
    assert_eq!(always_err(7), Err(7));
    assert_eq!(always_err_with_status(7), (Err(7), CacheStatus::Hit));
    assert_eq!(CACHE_ERR_CALLS.load(SeqCst), 1);
}

static CACHE_NONE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(cache_none = true)]
fn maybe(n: u32) -> Option<u32> {
    CACHE_NONE_CALLS.fetch_add(1, SeqCst);
    (n != 0).then_some(n)
}

/// Ports: with `cache_none = true` a `None` is cached: the second call returns it
/// without running the fn.
#[test]
fn cache_none_caches_the_none() {
    assert_eq!(maybe(0), None);
    assert_eq!(maybe_with_status(0), (None, CacheStatus::Hit));
    assert_eq!(CACHE_NONE_CALLS.load(SeqCst), 1);
}

// ---- expires = true ----

static BASIC_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(expires = true, key = k)]
fn expiring(k: u32, expired: bool) -> Val {
    BASIC_CALLS.fetch_add(1, SeqCst);
    Val::new(k, expired)
}

/// Ports: with `expires = true` and a key made of one argument, a valid value is a hit
/// (the other argument ignored, one hit and one miss); a value that is already expired
/// is returned, and the next call with its key runs the fn again.
#[test]
fn expires_serves_a_valid_value_and_reloads_an_expired_one() {
    let first = expiring(1, false);
    assert_eq!(first.v, 1);
    assert!(!first.expired());
    assert_eq!(expiring_with_status(1, true), (first, CacheStatus::Hit));
    let stats = expiring_cache().stats();
    assert_eq!((stats.hits, stats.misses), (1, 1));

    assert!(expiring(2, true).expired(), "the expired value is returned");
    let (again, status) = expiring_with_status(2, false);
    assert_eq!(status, CacheStatus::Miss, "the expired value was not kept");
    assert!(!again.expired());
    assert_eq!(BASIC_CALLS.load(SeqCst), 3);
}

#[memotrace::cached(expires = true, key = k)]
fn primed(k: u32, expired: bool) -> Val {
    Val::new(k, expired)
}

/// Ports: priming a cached valid entry with an expired value (`{fn}_put` here) makes the
/// next call run the fn again and store its fresh value, which is then a hit.
#[test]
fn putting_an_expired_value_makes_the_next_call_reload() {
    assert_eq!(primed_with_status(1, false).1, CacheStatus::Miss);
    assert_eq!(primed_with_status(1, false).1, CacheStatus::Hit);
    primed_put(1, true, Val::new(1, true));
    let (fresh, status) = primed_with_status(1, false);
    assert_eq!(status, CacheStatus::Miss);
    assert!(!fresh.expired());
    assert_eq!(primed_with_status(1, false).1, CacheStatus::Hit);
    let stats = primed_cache().stats();
    assert_eq!((stats.hits, stats.misses), (2, 2));
}

#[memotrace::cached(expires = true, max_capacity = 4, key = k)]
fn expiring_bounded(k: u32, expired: bool) -> Val {
    Val::new(k, expired)
}

/// Ports: the same hit and reload on a size-bounded cache (the `cached` crate's LRU
/// store, here `max_capacity = 4`).
#[test]
fn expires_on_a_bounded_cache() {
    assert_eq!(expiring_bounded_with_status(10, false).1, CacheStatus::Miss);
    assert_eq!(expiring_bounded_with_status(10, false).1, CacheStatus::Hit);
    assert!(expiring_bounded(11, true).expired());
    let (again, status) = expiring_bounded_with_status(11, false);
    assert_eq!(status, CacheStatus::Miss);
    assert!(!again.expired());
    let stats = expiring_bounded_cache().stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (1, 3, 2));
}

static RESULT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(expires = true, key = k)]
fn expiring_result(k: u32, expired: bool, err: bool) -> Result<Val, String> {
    RESULT_CALLS.fetch_add(1, SeqCst);
    if err {
        Err("forced error".into())
    } else {
        Ok(Val::new(k, expired))
    }
}

/// Ports: with `expires = true` on a `Result` fn, an `Err` is not cached (each call runs
/// the fn); an `Ok` is; an expired `Ok` put in its place makes the next call reload.
#[test]
fn expires_on_a_result_fn_skips_err_and_reloads_expired_ok() {
    assert!(expiring_result(1, false, true).is_err());
    assert!(expiring_result(1, false, true).is_err());
    assert_eq!(RESULT_CALLS.load(SeqCst), 2, "the Err was not cached");
    assert_eq!(expiring_result(1, false, false).unwrap().v, 1);
    assert_eq!(
        expiring_result_with_status(1, false, false).1,
        CacheStatus::Hit
    );
    expiring_result_put(1, true, false, Val::new(1, true));
    let (fresh, status) = expiring_result_with_status(1, false, false);
    assert_eq!(status, CacheStatus::Miss);
    assert!(!fresh.unwrap().expired());
    assert_eq!(RESULT_CALLS.load(SeqCst), 4);
}

static OPTION_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(expires = true, key = k)]
fn expiring_option(k: u32, expired: bool, none: bool) -> Option<Val> {
    OPTION_CALLS.fetch_add(1, SeqCst);
    (!none).then(|| Val::new(k, expired))
}

/// Ports: with `expires = true` on an `Option` fn, a `None` is not cached; a `Some` is;
/// an expired `Some` put in its place makes the next call reload.
#[test]
fn expires_on_an_option_fn_skips_none_and_reloads_expired_some() {
    assert!(expiring_option(1, false, true).is_none());
    assert!(expiring_option(1, false, true).is_none());
    assert_eq!(OPTION_CALLS.load(SeqCst), 2, "the None was not cached");
    assert_eq!(expiring_option(1, false, false).unwrap().v, 1);
    assert_eq!(
        expiring_option_with_status(1, false, false).1,
        CacheStatus::Hit
    );
    expiring_option_put(1, true, false, Val::new(1, true));
    let (fresh, status) = expiring_option_with_status(1, false, false);
    assert_eq!(status, CacheStatus::Miss);
    assert!(!fresh.unwrap().expired());
    assert_eq!(OPTION_CALLS.load(SeqCst), 4);
}

#[memotrace::cached(expires = true, key = k)]
fn lifetime_from_argument(k: u32, ttl_ms: u64) -> Val {
    Val::for_(k, Duration::from_millis(ttl_ms))
}

/// Ports: a per-entry lifetime taken from an argument that is not part of the key: a
/// 0 ms lifetime never hits, a long one does (exactly one hit).
#[test]
fn expires_takes_each_lifetime_from_an_argument() {
    assert_eq!(lifetime_from_argument(1, 0).v, 1);
    assert_eq!(lifetime_from_argument(2, 60_000).v, 2);
    assert_eq!(
        lifetime_from_argument_with_status(1, 0).1,
        CacheStatus::Miss
    );
    assert_eq!(
        lifetime_from_argument_with_status(2, 60_000).1,
        CacheStatus::Hit
    );
    assert_eq!(lifetime_from_argument_cache().stats().hits, 1);
}

#[memotrace::cached(expires = true, key = "once")]
fn once_expiring(v: u32, expired: bool) -> Val {
    Val::new(v, expired)
}

/// Ports: a single-value cache with `expires = true` keeps its first valid value for
/// any argument; after it is cleared, an expired value is returned but not kept, and the
/// next valid value is kept again.
#[test]
fn expires_on_a_single_value_cache() {
    assert_eq!(once_expiring(1, false).v, 1);
    assert_eq!(
        once_expiring(2, true).v,
        1,
        "cached: the arguments are ignored"
    );
    once_expiring_cache().clear();
    assert!(once_expiring(3, true).expired());
    assert_eq!(
        once_expiring(4, false).v,
        4,
        "the expired value was not kept"
    );
    assert_eq!(once_expiring(5, false).v, 4);
}

#[memotrace::cached(expires = true, key = "once")]
fn once_expiring_result(v: u32, expired: bool, err: bool) -> Result<Val, String> {
    if err {
        Err("forced error".into())
    } else {
        Ok(Val::new(v, expired))
    }
}

/// Ports: a single-value cache of a `Result` with `expires = true`: an `Err` is not
/// kept, an expired `Ok` is not kept, the next valid `Ok` is kept for any argument.
#[test]
fn expires_on_a_single_value_result_cache() {
    assert!(once_expiring_result(1, false, true).is_err());
    assert!(once_expiring_result(2, true, false).unwrap().expired());
    assert_eq!(once_expiring_result(3, false, false).unwrap().v, 3);
    assert_eq!(once_expiring_result(4, false, false).unwrap().v, 3);
}

#[memotrace::cached(expires = true, key = "once")]
fn once_expiring_option(v: u32, expired: bool, none: bool) -> Option<Val> {
    (!none).then(|| Val::new(v, expired))
}

/// Ports: a single-value cache of an `Option` with `expires = true`: a `None` is not
/// kept, an expired `Some` is not kept, the next valid `Some` is kept for any argument.
#[test]
fn expires_on_a_single_value_option_cache() {
    assert!(once_expiring_option(1, false, true).is_none());
    assert!(once_expiring_option(2, true, false).unwrap().expired());
    assert_eq!(once_expiring_option(3, false, false).unwrap().v, 3);
    assert_eq!(once_expiring_option(4, false, false).unwrap().v, 3);
}

static ASYNC_EXPIRES_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(expires = true, key = k)]
async fn async_expiring(k: u32, expired: bool, err: bool) -> Result<Val, String> {
    ASYNC_EXPIRES_CALLS.fetch_add(1, SeqCst);
    if err {
        Err("forced error".into())
    } else {
        Ok(Val::new(k, expired))
    }
}

/// Ports: the async form of `expires = true` on a `Result` fn: `Err` not cached, a valid
/// `Ok` a hit, an expired `Ok` put in its place reloaded.
#[tokio::test]
async fn expires_on_an_async_fn() {
    assert!(async_expiring(1, false, true).await.is_err());
    assert!(async_expiring(1, false, true).await.is_err());
    assert_eq!(async_expiring(1, false, false).await.unwrap().v, 1);
    assert_eq!(
        async_expiring_with_status(1, false, false).await.1,
        CacheStatus::Hit
    );
    async_expiring_put(1, true, false, Val::new(1, true));
    let (fresh, status) = async_expiring_with_status(1, false, false).await;
    assert_eq!(status, CacheStatus::Miss);
    assert!(!fresh.unwrap().expired());
    assert_eq!(ASYNC_EXPIRES_CALLS.load(SeqCst), 4);
}

static FLAG_EXPIRES_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(expires = true, key = k)]
fn expiring_soon(k: u32) -> Result<Val, std::convert::Infallible> {
    FLAG_EXPIRES_CALLS.fetch_add(1, SeqCst);
    Ok(Val::for_(k, Duration::from_millis(150)))
}

/// Ports: `expires = true` with the flag: "not cached" on the first call, "cached" on a
/// hit of a valid value, "not cached" again once the value has expired (the fn ran
/// twice).
#[test]
fn status_with_expires_is_miss_hit_then_miss_after_expiry() {
    assert_eq!(expiring_soon_with_status(42).1, CacheStatus::Miss);
    assert_eq!(expiring_soon_with_status(42).1, CacheStatus::Hit);
    assert_eq!(FLAG_EXPIRES_CALLS.load(SeqCst), 1);
    let fresh = until_expired(CacheStatus::Miss, || expiring_soon_with_status(42));
    assert_eq!(fresh.map(|v| v.v), Ok(42));
    assert_eq!(FLAG_EXPIRES_CALLS.load(SeqCst), 2);
}

static FALLBACK_FAILS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(expires = true, stale_if_error = "1h", key = k)]
fn with_fallback(k: u32) -> Result<Val, String> {
    if FALLBACK_FAILS.load(SeqCst) > 0 {
        Err("forced error".into())
    } else {
        Ok(Val::for_(k, Duration::from_millis(150)))
    }
}

/// Ports: falling back to the expired value on `Err` (`result_fallback` there,
/// `stale_if_error` here): once the value has expired and the fn fails, the call answers
/// the expired value.
#[test]
fn an_expired_value_is_served_when_the_reload_fails() {
    let first = with_fallback(1).unwrap();
    assert_eq!(with_fallback_with_status(1).1, CacheStatus::Hit);
    FALLBACK_FAILS.store(1, SeqCst);
    let stale = until_expired(CacheStatus::Stale, || with_fallback_with_status(1));
    let stale = stale.expect("the expired value, not the Err");
    assert_eq!(stale, first);
    assert!(stale.expired());
}
