//! `RedisCache` and `RedisClient` on a real 3-primary Redis Cluster (one per test binary):
//! entries spread over every primary; tags, patterns and clear reach all of them.

use memotrace::cache::redis::{RedisBackend, RedisCache, RedisClient, RedisConfig};
use memotrace::cache::CacheConfig;
use memotrace_tests::redis_harness::{shared_cluster, through};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn backend(prefix: &str) -> RedisBackend {
    let cluster = shared_cluster();
    RedisBackend::connect(RedisConfig::cluster(cluster.urls()).key_prefix(prefix)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_patterns_and_clear_reach_every_primary() {
    let cluster = shared_cluster();
    let b = backend("t-tags");
    assert!(b.is_cluster());
    let c: &'static RedisCache<u64> = RedisCache::with_backend(
        CacheConfig::new("posts")
            .tagged()
            .ttl(Duration::from_secs(60)),
        b,
    )
    .register();
    for i in 0..60u64 {
        let tags = vec![format!("user:{}", i % 3), "all".to_string()];
        assert_eq!(
            through(c, &format!("post:{i}"), tags, move || async move { i }).await,
            i
        );
    }
    let spread = cluster.count_matching("t-tags:memotrace:v2:posts:post:*");
    assert!(
        spread.iter().all(|&n| n > 0),
        "entries not on every primary: {spread:?}"
    );
    assert_eq!(spread.iter().sum::<usize>(), 60);
    assert_eq!(c.stats().hits, 0);
    assert_eq!(through(c, "post:4", vec![], || async { 0 }).await, 4);

    // Tag: through the registry, as `memotrace::cache::invalidate_tag` does it.
    assert_eq!(memotrace::cache::invalidate_tag("user:1").await, 20);
    for i in 0..60u64 {
        assert_eq!(
            c.get(&format!("post:{i}")).await.is_some(),
            i % 3 != 1,
            "post:{i}"
        );
    }
    assert_eq!(
        cluster
            .count_matching("t-tags:*#tag:{user:1}")
            .iter()
            .sum::<usize>(),
        0
    );

    // Pattern: SCAN on every primary.
    // post:1 and post:10..19, less those already dropped by the tag (1, 10, 13, 16, 19).
    assert_eq!(c.invalidate_pattern("post:1*").await, 6);
    for i in 0..60u64 {
        let gone = i % 3 == 1 || format!("{i}").starts_with('1');
        assert_eq!(
            c.get(&format!("post:{i}")).await.is_some(),
            !gone,
            "post:{i}"
        );
    }
    c.clear().await;
    assert_eq!(cluster.count_matching("t-tags:*").iter().sum::<usize>(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_get_or_compute_on_the_cluster() {
    let cluster = shared_cluster();
    let client = RedisClient::new(backend("t-dist"));
    let runs = Arc::new(AtomicUsize::new(0));
    let calls = (0..30).map(|i| {
        let runs = runs.clone();
        let client = client.clone();
        async move {
            let key = format!("report:{}", i % 3);
            client
                .get_or_compute(&key, Some(Duration::from_secs(60)), || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    i % 3
                })
                .await
        }
    });
    for (i, v) in futures_util::future::join_all(calls)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(v, i % 3);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert_eq!(client.incr("hits", 5).await.unwrap(), 5);
    assert_eq!(client.delete_pattern("report:*").await.unwrap(), 3);
    assert_eq!(
        cluster
            .count_matching("t-dist:report:*")
            .iter()
            .sum::<usize>(),
        0
    );
}

/// Two backends are two "processes" to the invalidation channel (each has its own
/// instance id): on a cluster, `PUBLISH` through any node reaches the subscriber of the
/// other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_invalidation_is_broadcast_on_the_cluster() {
    use memotrace::cache::redis::TieredCache;
    let config = || CacheConfig::new("cluster_tiered").ttl(Duration::from_secs(60));
    let a: &'static TieredCache<String> =
        TieredCache::with_backend(config(), backend("t-pubsub")).register();
    let b: &'static TieredCache<String> =
        TieredCache::with_backend(config(), backend("t-pubsub")).register();
    assert!(
        a.subscribed(Duration::from_secs(5)).await && b.subscribed(Duration::from_secs(5)).await
    );
    for i in 0..10 {
        let key = format!("k{i}");
        assert_eq!(
            through(a, &key, vec![], || async { "v1".to_string() }).await,
            "v1"
        );
        // a's write is broadcast too, and may reach b after b filled its L1 from L2
        // (then b drops it and reads L2 again): call until b holds v1.
        let t = std::time::Instant::now();
        loop {
            let got = through(b, &key, vec![], || async { "other".to_string() }).await;
            assert_eq!(got, "v1");
            if b.l1().get(&key).as_deref() == Some("v1") {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(2));
        }
        assert!(a.invalidate(&key).await);
        let t = std::time::Instant::now();
        while b.l1().get(&key).is_some() {
            assert!(
                t.elapsed() < Duration::from_secs(2),
                "b kept its L1 copy of {key}"
            );
            tokio::task::yield_now().await;
        }
        assert_eq!(
            through(b, &key, vec![], || async { "v2".to_string() }).await,
            "v2"
        );
    }
}
