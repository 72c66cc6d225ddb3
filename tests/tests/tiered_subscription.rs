//! The tiered L1 and its invalidation subscription: any period without a live
//! subscription (refused at start-up, silent, killed) ends with L1 cleared, so a write
//! made elsewhere meanwhile is seen once the subscription is back. "Another process" is
//! a second backend in this process (its own connections and instance id).

use memotrace::cache::redis::{RedisBackend, RedisConfig, TieredCache};
use memotrace::cache::CacheConfig;
use memotrace_tests::redis_harness::{through, RedisServer};
use std::time::{Duration, Instant};

/// The subscriber's health check: a `PING` every second, 500 ms to answer.
const DETECTION_BOUND: Duration = Duration::from_millis(1_500);

fn tiered(server: &RedisServer, name: &'static str) -> &'static TieredCache<u64> {
    let backend = RedisBackend::connect(RedisConfig::url(server.url()).key_prefix("sub")).unwrap();
    TieredCache::with_backend(CacheConfig::new(name).ttl(Duration::from_secs(60)), backend)
        .register()
}

async fn read(cache: &'static TieredCache<u64>) -> u64 {
    through(cache, "k", vec![], || async { 1 }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_first_subscription_ends_with_l1_cleared() {
    let server = RedisServer::start();
    assert_eq!(
        server.cli(&["ACL", "SETUSER", "default", "-subscribe"]),
        "OK"
    );
    let reader = tiered(&server, "refused");
    let writer = tiered(&server, "refused");
    assert!(
        !reader.subscribed(Duration::from_millis(300)).await,
        "SUBSCRIBE was not refused"
    );
    assert_eq!(read(reader).await, 1);
    assert_eq!(reader.l1().get("k"), Some(1), "the read filled L1");
    assert!(writer.insert("k", 2, vec![]).await);
    // Nobody heard the broadcast: the reader still answers from its L1.
    assert_eq!(read(reader).await, 1);
    assert_eq!(
        server.cli(&["ACL", "SETUSER", "default", "+subscribe"]),
        "OK"
    );
    assert!(reader.subscribed(Duration::from_secs(5)).await);
    assert_eq!(
        read(reader).await,
        2,
        "L1 kept a value from before the subscription"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_subscription_is_detected_and_ends_with_l1_cleared() {
    let server = RedisServer::start();
    let reader = tiered(&server, "silent");
    assert!(reader.subscribed(Duration::from_secs(5)).await);
    assert_eq!(read(reader).await, 1);
    assert_eq!(reader.l1().get("k"), Some(1));
    // The server stops answering; the subscriber's connection stays open but silent.
    server.freeze();
    let frozen = Instant::now();
    while reader.subscribed(Duration::ZERO).await {
        assert!(
            frozen.elapsed() < DETECTION_BOUND * 2,
            "a silent subscription went unnoticed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let detected = frozen.elapsed();
    server.thaw();
    println!("silent subscription detected after {detected:?}");
    assert!(
        detected <= DETECTION_BOUND + Duration::from_millis(200),
        "detected after {detected:?}"
    );
    assert!(reader.subscribed(Duration::from_secs(5)).await);
    assert_eq!(
        reader.l1().get("k"),
        None,
        "L1 was not cleared after the gap"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_subscription_ends_with_l1_cleared() {
    let server = RedisServer::start();
    let reader = tiered(&server, "killed");
    let writer = tiered(&server, "killed");
    assert!(reader.subscribed(Duration::from_secs(5)).await);
    assert!(writer.subscribed(Duration::from_secs(5)).await);
    assert_eq!(read(reader).await, 1);
    assert_eq!(server.cli(&["CLIENT", "KILL", "TYPE", "pubsub"]), "2");
    // The write may land while the reader is not subscribed: it must see it anyway.
    assert!(writer.insert("k", 2, vec![]).await);
    let t = Instant::now();
    while reader.l1().get("k") == Some(1) {
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "L1 kept the old value after the subscription was killed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(reader.subscribed(Duration::from_secs(5)).await);
    assert_eq!(read(reader).await, 2);
}
