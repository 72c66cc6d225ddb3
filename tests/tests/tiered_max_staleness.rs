//! `max_staleness` on the tiered store: while the invalidation channel is down (the
//! subscription killed with `CLIENT KILL TYPE pubsub` and not allowed back), L1 stops
//! answering once the channel has not proved live for the bound, so a write made
//! elsewhere is seen within it. "Another process" is a second backend in this process
//! (its own connections and instance id). Prints the measured worst staleness.

use memotrace::cache::redis::{RedisBackend, RedisConfig, TieredCache};
use memotrace::cache::CacheConfig;
use memotrace_tests::redis_harness::{through, RedisServer};
use std::time::{Duration, Instant};

const BOUND: Duration = Duration::from_secs(2);

fn tiered(server: &RedisServer, max_staleness: Option<Duration>) -> &'static TieredCache<u64> {
    let backend =
        RedisBackend::connect(RedisConfig::url(server.url()).key_prefix("stale")).unwrap();
    let mut config = CacheConfig::new("bounded").ttl(Duration::from_secs(60));
    if let Some(bound) = max_staleness {
        config = config.max_staleness(bound);
    }
    TieredCache::with_backend(config, backend).register()
}

async fn read(cache: &'static TieredCache<u64>) -> u64 {
    through(cache, "k", vec![], || async { 1 }).await
}

/// Kills every subscription and refuses new ones; a write from `writer` is then not
/// heard. Returns the write's time and how long `reader` answered the old value after it.
async fn stale_after_channel_loss(
    server: &RedisServer,
    reader: &'static TieredCache<u64>,
    writer: &'static TieredCache<u64>,
    give_up: Duration,
) -> Option<Duration> {
    assert!(reader.subscribed(Duration::from_secs(5)).await);
    assert_eq!(read(reader).await, 1);
    assert_eq!(reader.l1().get("k"), Some(1), "the read filled L1");
    assert_eq!(
        server.cli(&["ACL", "SETUSER", "default", "-subscribe"]),
        "OK"
    );
    server.cli(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    assert!(writer.insert("k", 2, vec![]).await);
    let written = Instant::now();
    assert_eq!(read(reader).await, 1, "the write was not heard: L1 answers");
    let seen = loop {
        if read(reader).await == 2 {
            break Some(written.elapsed());
        }
        if written.elapsed() > give_up {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(
        server.cli(&["ACL", "SETUSER", "default", "+subscribe"]),
        "OK"
    );
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l1_is_not_served_past_the_bound_while_the_channel_is_down() {
    let server = RedisServer::start();
    let reader = tiered(&server, Some(BOUND));
    let writer = tiered(&server, None);
    let staleness = stale_after_channel_loss(&server, reader, writer, Duration::from_secs(10))
        .await
        .expect("L1 kept answering the old value");
    println!("max_staleness = {BOUND:?}: the old value was answered for {staleness:?}");
    assert!(
        staleness < BOUND + Duration::from_millis(100),
        "served stale for {staleness:?}"
    );
    assert!(
        reader.subscribed(Duration::from_secs(5)).await,
        "the channel came back"
    );
    assert_eq!(read(reader).await, 2);
    assert_eq!(reader.l1().get("k"), Some(2), "L1 serves again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_bound_l1_answers_until_the_channel_is_back() {
    let server = RedisServer::start();
    let reader = tiered(&server, None);
    let writer = tiered(&server, None);
    let seen = stale_after_channel_loss(&server, reader, writer, BOUND * 2).await;
    assert_eq!(
        seen, None,
        "without max_staleness L1 answers the old value meanwhile"
    );
}
