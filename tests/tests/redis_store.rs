//! `RedisCache`, `TieredCache` and `RedisClient` against a real standalone redis-server.

use memotrace::__private::{CacheLookup, CacheStore, Lookup, OkOnly, Plain};
use memotrace::cache::redis::{RedisBackend, RedisCache, RedisClient, RedisConfig, TieredCache};
use memotrace::cache::CacheConfig;
use memotrace_tests::redis_harness::{shared_server, through, RedisServer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn backend(server: &RedisServer, prefix: &str) -> RedisBackend {
    RedisBackend::connect(RedisConfig::url(server.url()).key_prefix(prefix)).unwrap()
}

fn cache<V: memotrace::cache::redis::RedisValue>(
    b: &RedisBackend,
    config: CacheConfig,
) -> &'static RedisCache<V> {
    RedisCache::with_backend(config, b.clone()).register()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hit_miss_and_ttl_through_redis() {
    let server = shared_server();
    let b = backend(server, "t-hit");
    let c: &'static RedisCache<String> =
        cache(&b, CacheConfig::new("hit").ttl(Duration::from_millis(300)));
    let loads = Arc::new(AtomicUsize::new(0));
    let load = |v: &'static str| {
        let loads = loads.clone();
        move || async move {
            loads.fetch_add(1, Ordering::SeqCst);
            v.to_string()
        }
    };
    assert_eq!(through(c, "1", vec![], load("one")).await, "one");
    assert_eq!(through(c, "1", vec![], load("other")).await, "one");
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    let s = c.stats();
    assert_eq!((s.hits, s.misses, s.loads, s.store_errors), (1, 1, 1, 0));
    // Redis holds the key with the ttl (no stale window: it dies with the ttl).
    let pttl: i64 = server
        .cli(&["PTTL", "t-hit:memotrace:v2:hit:1"])
        .parse()
        .unwrap();
    assert!(pttl > 0 && pttl <= 300, "pttl {pttl}");
    // Time is what is under test here: let the entry expire.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(through(c, "1", vec![], load("two")).await, "two");
    assert_eq!(loads.load(Ordering::SeqCst), 2);
    assert!(c.invalidate("1").await);
    assert!(!c.invalidate("1").await);
    assert_eq!(c.get("1").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_follow_the_documented_layout() {
    let server = shared_server();
    let b = backend(server, "prod");
    let c: &'static RedisCache<u32> = cache(
        &b,
        CacheConfig::new("get_user")
            .namespace("users")
            .version(2)
            .tagged(),
    );
    through(c, "42", vec!["user:42".into()], || async { 7 }).await;
    assert_eq!(c.redis_key("42"), "prod:users:v2:get_user:42");
    let raw = server.cli(&["GET", "prod:users:v2:get_user:42"]);
    assert!(raw.starts_with("mt1|") && raw.ends_with("|7"), "{raw}");
    assert_eq!(server.cli(&["PTTL", "prod:users:v2:get_user:42"]), "-1");
    assert_eq!(
        server.cli(&["SMEMBERS", "prod:users:v2:get_user:#tag:{user:42}"]),
        "prod:users:v2:get_user:42"
    );
    // The lock is gone once the load completed.
    assert_eq!(
        server.cli(&["EXISTS", "{prod:users:v2:get_user:42}:lock"]),
        "0"
    );
    // Without a namespace: `memotrace:v2:{name}:{args}`.
    let plain: &'static RedisCache<u32> = cache(&b, CacheConfig::new("plain"));
    through(plain, "a:b", vec![], || async { 1 }).await;
    assert_eq!(server.cli(&["EXISTS", "prod:memotrace:v2:plain:a:b"]), "1");
    // Bumping the version orphans old entries.
    let v3: &'static RedisCache<u32> = cache(
        &b,
        CacheConfig::new("get_user").namespace("users").version(3),
    );
    assert_eq!(v3.get("42").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_value_is_a_miss_then_overwritten() {
    let server = shared_server();
    let b = backend(server, "t-corrupt");
    let c: &'static RedisCache<Vec<u32>> = cache(&b, CacheConfig::new("c"));
    let key = c.redis_key("k");
    for garbage in ["not an entry", "mt1|1|2|3|4|{not json", "mt1|x"] {
        assert_eq!(server.cli(&["SET", &key, garbage]), "OK");
        assert_eq!(
            through(c, "k", vec![], || async { vec![1, 2] }).await,
            vec![1, 2]
        );
        assert!(server.cli(&["GET", &key]).ends_with("|[1,2]"));
        assert_eq!(
            through(c, "k", vec![], || async { vec![9] }).await,
            vec![1, 2]
        );
    }
    let s = c.stats();
    assert_eq!(
        (s.decode_errors, s.loads, s.hits, s.store_errors),
        (3, 3, 3, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_single_flight_runs_the_loader_once() {
    let server = shared_server();
    let b = backend(server, "t-sf");
    let c: &'static RedisCache<u64> = cache(&b, CacheConfig::new("sf"));
    let loads = Arc::new(AtomicUsize::new(0));
    let (release, gate) = tokio::sync::watch::channel(false);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let loads = loads.clone();
            let mut gate = gate.clone();
            tokio::spawn(async move {
                through(c, "k", vec![], move || async move {
                    loads.fetch_add(1, Ordering::SeqCst);
                    let _ = gate.wait_for(|open| *open).await;
                    99
                })
                .await
            })
        })
        .collect();
    // Let every task reach the cache before the loader finishes.
    while c.stats().misses < 50 {
        tokio::task::yield_now().await;
    }
    release.send_replace(true);
    for t in tasks {
        assert_eq!(t.await.unwrap(), 99);
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    assert_eq!(c.stats().loads, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ahead_and_stale_if_error() {
    let server = shared_server();
    let b = backend(server, "t-refresh");
    let c: &'static RedisCache<u32> = cache(
        &b,
        CacheConfig::new("r")
            .ttl(Duration::from_millis(400))
            .refresh_ahead(0.5),
    );
    assert_eq!(through(c, "k", vec![], || async { 1 }).await, 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    // Due: the current value is returned and a refresh runs in the background.
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let v = through(c, "k", vec![], || async move {
        let _ = done_tx.send(());
        2
    })
    .await;
    assert_eq!(v, 1);
    done_rx.await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while c.stats().refreshes < 1 {
        assert!(Instant::now() < deadline, "refresh not stored");
        tokio::task::yield_now().await;
    }
    assert_eq!(c.get("k").await, Some(2));
    assert_eq!(c.stats().refreshes, 1);

    // stale_if_error: an expired entry answers a failed load within the window.
    let s: &'static RedisCache<u32> = cache(
        &b,
        CacheConfig::new("s")
            .ttl(Duration::from_millis(100))
            .stale_if_error(Duration::from_secs(5)),
    );
    let call = |r: Result<u32, String>| async move {
        match CacheLookup::lookup_async(s, "k").await {
            Lookup::Hit(v) => Ok(v),
            Lookup::Refresh(v, _) => Ok(v),
            Lookup::Load(l) => CacheStore::complete_async(s, l, OkOnly, r, |_| false, vec![]).await,
        }
    };
    assert_eq!(call(Ok(5)).await, Ok(5));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(call(Err("db down".into())).await, Ok(5));
    assert_eq!(s.stats().stale_served, 1);
    assert_eq!(
        call(Ok(6)).await,
        Ok(5),
        "the default fail-safe throttle: 10 ms"
    );
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(call(Ok(6)).await, Ok(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_sleep_does_not_stall_callers() {
    let server = RedisServer::start();
    let b = RedisBackend::connect(
        RedisConfig::url(server.url())
            .op_timeout(Duration::from_millis(200))
            .response_timeout(Duration::from_millis(150)),
    )
    .unwrap();
    let c: &'static RedisCache<u32> = cache(&b, CacheConfig::new("slow"));
    assert_eq!(through(c, "k", vec![], || async { 1 }).await, 1);
    let port = server.port();
    let sleeper = std::thread::spawn(move || {
        memotrace_tests::redis_harness::cli(port, &["DEBUG", "SLEEP", "2"])
    });
    let started = Instant::now();
    let mut worst = Duration::ZERO;
    let mut calls = 0;
    // Call until a call has met the stalled server (store error), for at most 1.5 s.
    while c.stats().store_errors == 0 && started.elapsed() < Duration::from_millis(1_500) {
        let t = Instant::now();
        assert_eq!(through(c, "k", vec![], || async { 1 }).await, 1);
        worst = worst.max(t.elapsed());
        calls += 1;
    }
    assert!(c.stats().store_errors > 0, "the server never stalled");
    // A call that meets the stall waits one response timeout (150 ms), then loads
    // without the lock and without writing back.
    assert!(worst < Duration::from_millis(300), "a call took {worst:?}");
    println!(
        "DEBUG SLEEP 2: {calls} calls, worst {worst:?}, store_errors {}",
        c.stats().store_errors
    );
    sleeper.join().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_and_restart_the_server_mid_run() {
    let mut server = RedisServer::start();
    let b = RedisBackend::connect(RedisConfig::url(server.url())).unwrap();
    let c: &'static RedisCache<u64> = cache(&b, CacheConfig::new("crash"));
    let loads = Arc::new(AtomicUsize::new(0));
    let call = |i: u64| {
        let loads = loads.clone();
        async move {
            through(c, &i.to_string(), vec![], move || async move {
                loads.fetch_add(1, Ordering::SeqCst);
                i * 2
            })
            .await
        }
    };
    for i in 0..20 {
        assert_eq!(call(i).await, i * 2);
    }
    assert_eq!(loads.load(Ordering::SeqCst), 20);
    // Crash it while 8 tasks keep calling.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..8u64)
        .map(|w| {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let i = (w * 7 + n) % 40;
                    let got =
                        through(c, &i.to_string(), vec![], move || async move { i * 2 }).await;
                    assert_eq!(got, i * 2);
                    n += 1;
                }
                n
            })
        })
        .collect();
    tokio::task::yield_now().await;
    server.kill();
    let t = Instant::now();
    while c.stats().store_errors == 0 {
        assert!(t.elapsed() < Duration::from_secs(5));
        tokio::task::yield_now().await;
    }
    for i in 0..20 {
        assert_eq!(call(i).await, i * 2, "served while down");
    }
    server.restart();
    // Caching resumes: a stored value is served from Redis again.
    let t = Instant::now();
    loop {
        let before = c.stats().hits;
        call(1).await;
        call(1).await;
        if c.stats().hits > before && server.cli(&["EXISTS", &c.redis_key("1")]) == "1" {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "caching did not resume"
        );
    }
    println!("recovered {:?} after restart", t.elapsed());
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap();
    }
    assert!(total > 0);
    println!("{total} calls during the run, stats {:?}", c.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_client_and_get_or_compute() {
    let server = shared_server();
    let b = backend(server, "t-client");
    let client = RedisClient::new(b);
    client
        .set("user:123", &"John Doe", Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(
        client.get::<String>("user:123").await.unwrap().as_deref(),
        Some("John Doe")
    );
    assert_eq!(server.cli(&["GET", "t-client:user:123"]), "\"John Doe\"");
    assert!(client.exists("user:123").await.unwrap());
    assert!(client.delete("user:123").await.unwrap());
    assert!(!client.exists("user:123").await.unwrap());
    assert_eq!(client.incr("visits", 2).await.unwrap(), 2);
    assert_eq!(client.incr("visits", 3).await.unwrap(), 5);
    let runs = Arc::new(AtomicUsize::new(0));
    let calls = (0..20).map(|_| {
        let runs = runs.clone();
        let client = client.clone();
        async move {
            client
                .get_or_compute("stats", Some(Duration::from_secs(60)), || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    vec![1, 2, 3]
                })
                .await
        }
    });
    for v in futures_util::future::join_all(calls).await {
        assert_eq!(v, vec![1, 2, 3]);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let failed: Result<u32, &str> = client
        .try_get_or_compute("nope", None, || async { Err("no") })
        .await;
    assert_eq!(failed, Err("no"));
    assert!(!client.exists("nope").await.unwrap());
    for i in 0..5 {
        client.set(&format!("page:{i}"), &i, None).await.unwrap();
    }
    assert_eq!(client.delete_pattern("page:*").await.unwrap(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_l1_hits_need_no_network() {
    let mut server = RedisServer::start();
    let b = RedisBackend::connect(RedisConfig::url(server.url())).unwrap();
    let c: &'static TieredCache<String> =
        TieredCache::with_backend(CacheConfig::new("tiered").ttl(Duration::from_secs(60)), b)
            .register();
    assert!(c.subscribed(Duration::from_secs(5)).await);
    assert_eq!(
        through(c, "k", vec![], || async { "v".to_string() }).await,
        "v"
    );
    assert_eq!(server.cli(&["EXISTS", &c.l2().redis_key("k")]), "1");
    server.kill();
    for _ in 0..100 {
        assert_eq!(
            through(c, "k", vec![], || async { "other".to_string() }).await,
            "v"
        );
    }
    let s = c.stats();
    assert_eq!((s.hits, s.misses, s.loads, s.store_errors), (100, 1, 1, 0));
}

/// `#[cached]` caches are statics shared by every runtime of the process (one per
/// `#[tokio::test]`): a cache first used on a runtime that has shut down keeps working.
#[test]
fn cache_outlives_the_runtime_that_first_used_it() {
    let server = shared_server();
    let b = backend(server, "t-runtimes");
    let c: &'static RedisCache<u32> = cache(&b, CacheConfig::new("rt"));
    for round in 0..3u32 {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let got = rt.block_on(through(c, "k", vec![], || async { 5 }));
        assert_eq!(got, 5, "round {round}");
        drop(rt);
    }
    let s = c.stats();
    assert_eq!((s.loads, s.hits), (1, 2), "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_tags_clear_and_refresh() {
    let server = shared_server();
    let b = backend(server, "t-tiered");
    let c: &'static TieredCache<u64> = TieredCache::with_backend(
        CacheConfig::new("tiered_tags")
            .tagged()
            .ttl(Duration::from_millis(400))
            .refresh_ahead(0.5),
        b,
    )
    .register();
    // The first subscription clears L1: let it happen before filling.
    assert!(c.subscribed(Duration::from_secs(5)).await);
    for i in 0..6u64 {
        let tags = vec![format!("team:{}", i % 2)];
        assert_eq!(
            through(c, &i.to_string(), tags, move || async move { i }).await,
            i
        );
    }
    assert_eq!(c.l1().stats().entries, 6);
    // Through the registry: L2 entries with the tag go, L1 is cleared whole.
    assert_eq!(memotrace::cache::invalidate_tag("team:0").await, 3);
    assert_eq!(c.l1().stats().entries, 0);
    for i in 0..6u64 {
        assert_eq!(c.get(&i.to_string()).await.is_some(), i % 2 == 1, "{i}");
    }
    c.clear().await;
    assert_eq!(c.get("1").await, None);
    assert_eq!(server.cli(&["EXISTS", &c.l2().redis_key("1")]), "0");

    // Refresh-ahead acts on L2: with L1 expired, a due L2 hit refreshes both tiers.
    let l1_short: &'static TieredCache<u64> = TieredCache::with_options(
        CacheConfig::new("tiered_refresh")
            .ttl(Duration::from_millis(400))
            .refresh_ahead(0.5),
        Some(backend(server, "t-tiered")),
        Some(Duration::from_millis(100)),
    )
    .register();
    assert!(l1_short.subscribed(Duration::from_secs(5)).await);
    assert_eq!(through(l1_short, "k", vec![], || async { 1 }).await, 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(through(l1_short, "k", vec![], || async { 2 }).await, 1);
    let deadline = Instant::now() + Duration::from_secs(2);
    while l1_short.stats().refreshes < 1 {
        assert!(Instant::now() < deadline, "no refresh");
        tokio::task::yield_now().await;
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while l1_short.l1().get("k") != Some(2) {
        assert!(Instant::now() < deadline, "L1 not refreshed");
        tokio::task::yield_now().await;
    }
    assert_eq!(through(l1_short, "k", vec![], || async { 3 }).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msgpack_codec_round_trips() {
    use memotrace::cache::redis::MsgPackCodec;
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct User {
        id: u64,
        name: String,
    }
    let server = shared_server();
    let c: &'static RedisCache<User, MsgPackCodec> =
        RedisCache::with_backend(CacheConfig::new("msgpack"), backend(server, "t-msgpack"))
            .register();
    let ada = || User {
        id: 1,
        name: "Ada".into(),
    };
    assert_eq!(through_codec(c, "1", ada).await, ada());
    assert_eq!(
        through_codec(c, "1", || User {
            id: 2,
            name: "x".into()
        })
        .await,
        ada()
    );
    assert_eq!(c.stats().hits, 1);
    let json: &'static RedisCache<User> =
        RedisCache::with_backend(CacheConfig::new("msgpack"), backend(server, "t-msgpack"))
            .register();
    // The same key read with the JSON codec does not decode: a miss, never a panic.
    assert_eq!(json.get("1").await, None);
    assert_eq!(json.stats().decode_errors, 1);
}

async fn through_codec<V, C>(
    cache: &'static RedisCache<V, C>,
    key: &str,
    load: impl FnOnce() -> V,
) -> V
where
    V: memotrace::cache::redis::RedisValue,
    C: memotrace::cache::redis::Codec,
{
    match CacheLookup::lookup_async(cache, key).await {
        Lookup::Hit(v) | Lookup::Refresh(v, _) => v,
        Lookup::Load(l) => {
            CacheStore::complete_async(cache, l, Plain, load(), |_| false, vec![]).await
        }
    }
}
