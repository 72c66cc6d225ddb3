//! Fail-open on a Redis Cluster: a primary dies (no replicas,
//! `cluster-require-full-coverage no`), every call still returns the right value within
//! the bounds, the other primaries keep serving hits, and caching resumes on the
//! restarted primary. Its own cluster, since it kills a node.

use memotrace::cache::redis::{RedisBackend, RedisCache, RedisConfig};
use memotrace::cache::CacheConfig;
use memotrace_tests::redis_harness::{through, RedisCluster};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_primary_is_a_miss_not_an_error() {
    let mut cluster = RedisCluster::start();
    let backend = RedisBackend::connect(
        RedisConfig::cluster(cluster.urls())
            .connect_timeout(Duration::from_millis(200))
            .response_timeout(Duration::from_millis(200))
            .op_timeout(Duration::from_millis(400)),
    )
    .unwrap();
    let c: &'static RedisCache<u64> =
        RedisCache::with_backend(CacheConfig::new("fo"), backend).register();
    let keys: Vec<u64> = (0..30).collect();
    for &i in &keys {
        assert_eq!(
            through(c, &i.to_string(), vec![], move || async move { i * 3 }).await,
            i * 3
        );
    }
    let spread = cluster.count_matching("memotrace:v2:fo:*");
    assert!(spread.iter().all(|&n| n > 0), "{spread:?}");

    cluster.nodes[2].kill();
    let hits_before = c.stats().hits;
    let mut worst = Duration::ZERO;
    for _ in 0..3 {
        for &i in &keys {
            let t = Instant::now();
            assert_eq!(
                through(c, &i.to_string(), vec![], move || async move { i * 3 }).await,
                i * 3
            );
            worst = worst.max(t.elapsed());
        }
    }
    let s = c.stats();
    println!("one primary down: worst call {worst:?}, {s:?}");
    assert!(s.store_errors > 0);
    assert!(
        s.hits > hits_before,
        "the live primaries stopped serving hits"
    );
    // GET (bounded by op_timeout) then a load without lock or write-back.
    assert!(
        worst < Duration::from_millis(1_000),
        "a call took {worst:?}"
    );

    cluster.nodes[2].restart();
    let t = Instant::now();
    loop {
        // Every key served from Redis again (its entries are gone: persistence is off,
        // so the first round reloads them).
        let before = c.stats().hits;
        for &i in &keys {
            assert_eq!(
                through(c, &i.to_string(), vec![], move || async move { i * 3 }).await,
                i * 3
            );
        }
        if c.stats().hits - before == keys.len() as u64 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "caching did not resume: {:?}",
            c.stats()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "all primaries serving hits again {:?} after the restart",
        t.elapsed()
    );
}
