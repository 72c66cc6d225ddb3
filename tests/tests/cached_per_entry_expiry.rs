//! Per-entry expiry: `ttl = |value| ..`, `expires = true` (values carrying their own
//! lifetime, as the `cached` crate's `expires` tests use them) and `ttl_jitter`, on the
//! memory store and on a real Redis (`store = redis` and `tiered`). Sleeps here are the
//! passing of time under test, not synchronisation.

use memotrace::cache::Expires;
use memotrace_tests::redis_harness::{default_backend_server, RedisServer};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime};

static LIFETIME_LOADS: AtomicUsize = AtomicUsize::new(0);

/// The value is the lifetime it asks for, in ms; 0 asks not to be cached.
#[memotrace::cached(ttl = |ms| (*ms > 0).then(|| Duration::from_millis(*ms)))]
fn with_lifetime(key: &str, ms: u64) -> u64 {
    let _ = key;
    LIFETIME_LOADS.fetch_add(1, SeqCst);
    ms
}

#[test]
fn a_ttl_closure_gives_each_value_its_own_lifetime() {
    with_lifetime("short", 150);
    with_lifetime("long", 5_000);
    with_lifetime("never", 0);
    assert_eq!(LIFETIME_LOADS.load(SeqCst), 3);
    with_lifetime("short", 150);
    with_lifetime("long", 5_000);
    assert_eq!(LIFETIME_LOADS.load(SeqCst), 3, "both kept");
    with_lifetime("never", 0);
    assert_eq!(LIFETIME_LOADS.load(SeqCst), 4, "`None` is not cached");
    sleep(Duration::from_millis(250));
    with_lifetime("long", 5_000);
    assert_eq!(
        LIFETIME_LOADS.load(SeqCst),
        4,
        "the long-lived value is kept"
    );
    with_lifetime("short", 150);
    assert_eq!(
        LIFETIME_LOADS.load(SeqCst),
        5,
        "the short-lived one expired"
    );
}

/// A news article that says itself when it goes stale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Article {
    slug: String,
    /// Unix ms; `None`: the article does not say.
    valid_until: Option<u64>,
}

impl Expires for Article {
    fn expires_at(&self) -> Option<SystemTime> {
        self.valid_until
            .map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms))
    }
}

fn unix_ms_in(offset_ms: i64) -> u64 {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    (now + offset_ms) as u64
}

const EXPIRED: &str = "expired";
const UNEXPIRED: &str = "unexpired";
const SOON: &str = "soon";
const UNDATED: &str = "undated";

fn article(slug: &str) -> Article {
    let valid_until = match slug {
        EXPIRED => Some(unix_ms_in(-1_000)),
        UNEXPIRED => Some(unix_ms_in(60_000)),
        SOON => Some(unix_ms_in(150)),
        _ => None,
    };
    Article {
        slug: slug.to_owned(),
        valid_until,
    }
}

static ARTICLE_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(expires = true, ttl = "10m")]
fn fetch_article(slug: String) -> Article {
    ARTICLE_LOADS.fetch_add(1, SeqCst);
    article(&slug)
}

#[test]
fn values_carrying_their_own_lifetime_expire_by_it() {
    let misses = || fetch_article_cache().stats().misses;
    // An article already expired when loaded is returned, and not cached.
    assert_eq!(fetch_article(EXPIRED.into()).slug, EXPIRED);
    assert_eq!(fetch_article(EXPIRED.into()).slug, EXPIRED);
    assert_eq!(
        (ARTICLE_LOADS.load(SeqCst), misses()),
        (2, 2),
        "expired: a miss each time"
    );
    // An unexpired article is a hit afterwards.
    fetch_article(UNEXPIRED.into());
    fetch_article(UNEXPIRED.into());
    assert_eq!(
        (ARTICLE_LOADS.load(SeqCst), misses()),
        (3, 3),
        "unexpired: cached"
    );
    // An undated one lives by the cache's ttl.
    fetch_article(UNDATED.into());
    fetch_article(UNDATED.into());
    assert_eq!(ARTICLE_LOADS.load(SeqCst), 4);
    // One that expires shortly is a hit until then, a miss after.
    fetch_article(SOON.into());
    fetch_article(SOON.into());
    assert_eq!(ARTICLE_LOADS.load(SeqCst), 5);
    sleep(Duration::from_millis(250));
    fetch_article(SOON.into());
    fetch_article(UNEXPIRED.into());
    fetch_article(UNDATED.into());
    assert_eq!(
        ARTICLE_LOADS.load(SeqCst),
        6,
        "only the article past its time reloaded"
    );
}

#[test]
fn put_gives_the_value_its_own_lifetime() {
    let held = |slug: &str| fetch_article_cache().get(slug).is_some();
    fetch_article_put("put-soon".into(), article(SOON));
    fetch_article_put("put-undated".into(), article(UNDATED));
    assert!(held("put-soon") && held("put-undated"));
    sleep(Duration::from_millis(250));
    assert!(
        !held("put-soon"),
        "expired by its own lifetime, not the 10m ttl"
    );
    assert!(held("put-undated"), "an undated value lives by the ttl");
    // A value already past its time is not stored, and drops the entry it replaces.
    fetch_article_put("put-undated".into(), article(EXPIRED));
    assert!(!held("put-undated"), "the old value no longer answers");
    fetch_article_put("put-expired".into(), article(EXPIRED));
    assert!(!held("put-expired"));
}

static MAYBE_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(expires = true, cache_none = true)]
fn maybe_article(slug: String) -> Option<Article> {
    MAYBE_LOADS.fetch_add(1, SeqCst);
    (slug != "missing").then(|| article(&slug))
}

#[test]
fn a_cached_none_has_no_lifetime_of_its_own() {
    assert_eq!(maybe_article("missing".into()), None);
    assert_eq!(maybe_article("missing".into()), None);
    assert_eq!(MAYBE_LOADS.load(SeqCst), 1, "None is cached (cache_none)");
    maybe_article(EXPIRED.into());
    maybe_article(EXPIRED.into());
    assert_eq!(MAYBE_LOADS.load(SeqCst), 3, "an expired Some is not");
}

#[memotrace::cached(ttl = "2s", ttl_jitter = 0.5, max_capacity = 1_000)]
fn jittered(x: u32) -> u32 {
    x
}

#[test]
fn jitter_spreads_expiries_of_entries_written_together() {
    let written = Instant::now();
    for x in 0..200 {
        jittered(x);
    }
    let fresh = || {
        (0..200)
            .filter(|x| jittered_cache().get(x).is_some())
            .count()
    };
    // ±50 % of 2 s: every entry lives between 1 s and 3 s.
    sleep(Duration::from_millis(800));
    let early = fresh();
    if written.elapsed() < Duration::from_millis(990) {
        assert_eq!(early, 200, "none expires before 1 s");
    }
    sleep(Duration::from_secs(2).saturating_sub(written.elapsed()));
    let middle = fresh();
    assert!(
        (20..=180).contains(&middle),
        "about half expired at 2 s, not all at once: {middle} of 200 fresh"
    );
    sleep(Duration::from_millis(3_100).saturating_sub(written.elapsed()));
    assert_eq!(fresh(), 0, "all expired after 3 s");
}

/// The test binary's server, made the default backend of `#[cached]` caches.
fn server() -> &'static RedisServer {
    default_backend_server("perentry")
}

static REDIS_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = redis, key = "{ms}", ttl = |ms| (*ms > 0).then(|| Duration::from_millis(*ms)), name = "redis_lifetime")]
async fn redis_lifetime(ms: u64) -> u64 {
    REDIS_LOADS.fetch_add(1, SeqCst);
    ms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_entries_live_as_long_as_their_value_says() {
    let server = server();
    redis_lifetime(60_000).await;
    redis_lifetime(60_000).await;
    assert_eq!(REDIS_LOADS.load(SeqCst), 1);
    let pttl: i64 = server
        .cli(&["PTTL", "perentry:memotrace:v2:redis_lifetime:60000"])
        .parse()
        .unwrap();
    assert!(
        pttl > 50_000 && pttl <= 60_000,
        "the value's own ttl: {pttl} ms"
    );
    redis_lifetime(0).await;
    assert_eq!(
        server.cli(&["EXISTS", "perentry:memotrace:v2:redis_lifetime:0"]),
        "0",
        "`None`: not stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_put_gives_the_value_its_own_lifetime() {
    let server = server();
    assert!(redis_lifetime_put(7, 30_000).await);
    let pttl: i64 = server
        .cli(&["PTTL", "perentry:memotrace:v2:redis_lifetime:7"])
        .parse()
        .unwrap();
    assert!(
        pttl > 20_000 && pttl <= 30_000,
        "the value's own ttl: {pttl} ms"
    );
    // `None` (a zero lifetime): not stored, and the entry it replaces is dropped.
    assert!(!redis_lifetime_put(7, 0).await);
    assert_eq!(
        server.cli(&["EXISTS", "perentry:memotrace:v2:redis_lifetime:7"]),
        "0"
    );
}

static TIERED_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = tiered, expires = true, name = "tiered_article")]
async fn tiered_article(slug: String) -> Article {
    TIERED_LOADS.fetch_add(1, SeqCst);
    article(&slug)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_l1_keeps_a_value_no_longer_than_its_own_lifetime() {
    let server = server();
    tiered_article(SOON.into()).await;
    tiered_article(SOON.into()).await;
    assert_eq!(TIERED_LOADS.load(SeqCst), 1, "an L1 hit");
    let key = server.cli(&["KEYS", "perentry:memotrace:v2:tiered_article:*soon*"]);
    let pttl: i64 = server.cli(&["PTTL", &key]).parse().unwrap();
    assert!(
        pttl > 0 && pttl <= 150,
        "L2 entry lives by the value: {pttl} ms"
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    tiered_article(SOON.into()).await;
    assert_eq!(
        TIERED_LOADS.load(SeqCst),
        2,
        "L1 (no ttl of its own) dropped the value when it expired"
    );
    tiered_article(EXPIRED.into()).await;
    tiered_article(EXPIRED.into()).await;
    assert_eq!(
        TIERED_LOADS.load(SeqCst),
        4,
        "an expired value is never cached"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_put_gives_the_value_its_own_lifetime_in_both_tiers() {
    let server = server();
    assert!(tiered_article_put("put-soon".into(), article(SOON)).await);
    let key = server.cli(&["KEYS", "perentry:memotrace:v2:tiered_article:*put-soon*"]);
    let pttl: i64 = server.cli(&["PTTL", &key]).parse().unwrap();
    assert!(pttl > 0 && pttl <= 150, "L2 lives by the value: {pttl} ms");
    let in_l1 = || {
        tiered_article_cache()
            .l1()
            .get(key.rsplit(':').next().unwrap())
            .is_some()
    };
    assert!(in_l1(), "put in L1 too");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(
        !in_l1(),
        "L1 (no ttl of its own) dropped it when it expired"
    );
}
