//! Two processes on one Redis: this test binary re-invokes itself as the second process
//! (`MT_CHILD` selects the child test; without it the child tests return at once).
//! Processes synchronise through Redis lists (`BLPOP`), never through sleeps.

use memotrace::cache::redis::{RedisBackend, RedisCache, RedisClient, RedisConfig, TieredCache};
use memotrace::cache::CacheConfig;
use memotrace_tests::redis_harness::{through, RedisServer};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const TASKS: usize = 50;

fn spawn_child(test: &str, url: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env("MT_CHILD", test)
        .env("MT_CHILD_URL", url)
        .spawn()
        .expect("spawn the child test process")
}

fn child_url(test: &str) -> Option<String> {
    (std::env::var("MT_CHILD").ok()? == test)
        .then(|| std::env::var("MT_CHILD_URL").ok())
        .flatten()
}

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn blpop(conn: &mut redis::aio::MultiplexedConnection, list: &str) -> String {
    // BLPOP blocks server-side; the connection's response timeout must not cut it.
    let (_, v): (String, String) = redis::cmd("BLPOP")
        .arg(list)
        .arg(20)
        .query_async(conn)
        .await
        .expect("BLPOP timed out");
    v
}

async fn push(conn: &mut redis::aio::MultiplexedConnection, list: &str, v: &str) {
    let _: i64 = redis::cmd("RPUSH")
        .arg(list)
        .arg(v)
        .query_async(conn)
        .await
        .unwrap();
}

async fn blocking_conn(url: &str) -> redis::aio::MultiplexedConnection {
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .unwrap()
}

/// Both processes: wait for the start signal, then 50 tasks miss the same key; the
/// loader counts its runs in Redis (across processes) and takes 300 ms.
async fn stampede(url: &str) -> Vec<u64> {
    let backend = RedisBackend::connect(RedisConfig::url(url).key_prefix("mp")).unwrap();
    let cache: &'static RedisCache<u64> = RedisCache::with_backend(
        CacheConfig::new("stampede").ttl(Duration::from_secs(60)),
        backend,
    )
    .register();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let url = url.to_owned();
            tokio::spawn(async move {
                through(cache, "hot", vec![], move || async move {
                    let mut c = raw(&url).await;
                    let run: u64 = redis::cmd("INCR")
                        .arg("loader_runs")
                        .query_async(&mut c)
                        .await
                        .unwrap();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    1_000 + run
                })
                .await
            })
        })
        .collect();
    let mut values = Vec::new();
    for t in tasks {
        values.push(t.await.unwrap());
    }
    values
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_flight_across_two_processes() {
    let server = RedisServer::start();
    let url = server.url();
    let mut child = spawn_child("child_single_flight", &url);
    let mut ctl = blocking_conn(&url).await;
    assert_eq!(blpop(&mut ctl, "child_ready").await, "ready");
    push(&mut ctl, "go", "go").await;
    let values = stampede(&url).await;
    assert!(child.wait().unwrap().success(), "child failed");
    let runs: u64 = server.cli(&["GET", "loader_runs"]).parse().unwrap();
    assert_eq!(
        runs, 1,
        "the loader ran {runs} times across 2 processes × {TASKS} tasks"
    );
    assert!(values.iter().all(|&v| v == 1_001), "{values:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_single_flight() {
    let Some(url) = child_url("child_single_flight") else {
        return;
    };
    let mut ctl = blocking_conn(&url).await;
    push(&mut ctl, "child_ready", "ready").await;
    assert_eq!(blpop(&mut ctl, "go").await, "go");
    let values = stampede(&url).await;
    assert!(values.iter().all(|&v| v == 1_001), "{values:?}");
}

fn profile_cache(url: &str) -> &'static TieredCache<String> {
    let backend = RedisBackend::connect(RedisConfig::url(url).key_prefix("mp")).unwrap();
    TieredCache::with_backend(
        CacheConfig::new("profile").ttl(Duration::from_secs(600)),
        backend,
    )
    .register()
}

async fn profile(cache: &'static TieredCache<String>, url: &str) -> String {
    let client = RedisClient::new(RedisBackend::connect(RedisConfig::url(url)).unwrap());
    through(cache, "7", vec![], move || async move {
        client
            .get::<String>("source")
            .await
            .unwrap()
            .unwrap_or_default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l1_invalidation_reaches_the_other_process() {
    let server = RedisServer::start();
    let url = server.url();
    let client = RedisClient::new(RedisBackend::connect(RedisConfig::url(&url)).unwrap());
    client.set("source", "v1", None).await.unwrap();
    let cache = profile_cache(&url);
    assert!(cache.subscribed(Duration::from_secs(5)).await);
    let mut child = spawn_child("child_l1", &url);
    let mut ctl = blocking_conn(&url).await;
    // The child holds v1 in its L1.
    assert_eq!(blpop(&mut ctl, "child_has_v1").await, "v1");
    assert_eq!(profile(cache, &url).await, "v1");
    // Change the source, invalidate here: the child must drop its L1 copy.
    client.set("source", "v2", None).await.unwrap();
    assert!(cache.invalidate("7").await);
    push(&mut ctl, "invalidated", "1").await;
    let seen_after: u64 = blpop(&mut ctl, "child_saw_v2").await.parse().unwrap();
    println!("child dropped its L1 copy {seen_after} µs after the invalidation signal");
    // And the other way round: a write by the child (after a reload) reaches us.
    client.set("source", "v3", None).await.unwrap();
    push(&mut ctl, "reload", "1").await;
    assert_eq!(blpop(&mut ctl, "child_wrote_v3").await, "v3");
    let deadline = Instant::now() + Duration::from_secs(2);
    while profile(cache, &url).await != "v3" {
        assert!(
            Instant::now() < deadline,
            "our L1 kept v2 after the child's write"
        );
        tokio::task::yield_now().await;
    }
    assert!(child.wait().unwrap().success(), "child failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_l1() {
    let Some(url) = child_url("child_l1") else {
        return;
    };
    let cache = profile_cache(&url);
    assert!(cache.subscribed(Duration::from_secs(5)).await);
    let mut ctl = blocking_conn(&url).await;
    assert_eq!(profile(cache, &url).await, "v1");
    assert_eq!(cache.l1().get("7").as_deref(), Some("v1"));
    push(&mut ctl, "child_has_v1", "v1").await;
    blpop(&mut ctl, "invalidated").await;
    // The pub/sub message and the signal travel on different connections: wait (bounded)
    // for the L1 copy to go.
    let t = Instant::now();
    while cache.l1().get("7").is_some() {
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "L1 copy never dropped"
        );
        tokio::task::yield_now().await;
    }
    let micros = t.elapsed().as_micros().to_string();
    assert_eq!(profile(cache, &url).await, "v2");
    push(&mut ctl, "child_saw_v2", &micros).await;
    blpop(&mut ctl, "reload").await;
    // Write-through here must make the parent drop its L1 copy.
    assert!(cache.insert("7", "v3".to_string(), vec![]).await);
    push(&mut ctl, "child_wrote_v3", "v3").await;
}
