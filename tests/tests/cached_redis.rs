//! `#[cached(store = redis | tiered)]` against a real redis-server started by the test:
//! keys as documented, companions, tags, single-flight across tasks.

use memotrace_tests::redis_harness::{default_backend_server, RedisServer};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// The test binary's server, made the default backend of `#[cached]` caches.
fn server() -> &'static RedisServer {
    default_backend_server("macro")
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct User {
    id: u64,
    name: String,
}

static USER_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = redis, key = "user:{id}", ttl = "1h", namespace = "users", version = 2, tags = ["user:{id}"], name = "get_user")]
async fn get_user(id: u64) -> Result<User, String> {
    USER_LOADS.fetch_add(1, SeqCst);
    if id == 0 {
        return Err("no user 0".into());
    }
    Ok(User {
        id,
        name: format!("user {id}"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_keys_companions_and_tags() {
    let server = server();
    assert_eq!(get_user(7).await.unwrap().name, "user 7");
    assert_eq!(get_user(7).await.unwrap().name, "user 7");
    assert_eq!(USER_LOADS.load(SeqCst), 1);
    assert_eq!(
        server.cli(&["EXISTS", "macro:users:v2:get_user:user:7"]),
        "1",
        "key as documented"
    );
    let pttl: i64 = server
        .cli(&["PTTL", "macro:users:v2:get_user:user:7"])
        .parse()
        .unwrap();
    assert!(
        pttl > 3_500_000 && pttl <= 3_600_000,
        "ttl of an hour, got {pttl} ms"
    );

    assert!(get_user(0).await.is_err());
    assert_eq!(
        server.cli(&["EXISTS", "macro:users:v2:get_user:user:0"]),
        "0",
        "Err is not cached"
    );

    assert!(get_user_invalidate(7).await);
    assert_eq!(get_user(7).await.unwrap().id, 7);
    assert_eq!(USER_LOADS.load(SeqCst), 3);

    assert!(
        get_user_put(
            8,
            User {
                id: 8,
                name: "written".into()
            }
        )
        .await
    );
    assert_eq!(
        get_user(8).await.unwrap().name,
        "written",
        "write-through answers"
    );
    assert_eq!(USER_LOADS.load(SeqCst), 3);

    assert!(memotrace::cache::invalidate_tag("user:8").await >= 1);
    assert_eq!(get_user(8).await.unwrap().name, "user 8");
    let stats = get_user_cache().stats();
    assert_eq!(stats.store_errors, 0);
    assert!(stats.hits >= 2);
}

static SEARCH_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = redis, ttl = "10m")]
async fn search(term: &str, page: u32) -> Vec<String> {
    SEARCH_LOADS.fetch_add(1, SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    vec![format!("{term}:{page}")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_keys_encode_the_arguments_and_misses_load_once() {
    let server = server();
    let tasks: Vec<_> = (0..50).map(|_| tokio::spawn(search("rust", 1))).collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), vec!["rust:1"]);
    }
    assert_eq!(
        SEARCH_LOADS.load(SeqCst),
        1,
        "50 concurrent misses, one load"
    );
    assert_eq!(
        server.cli(&[
            "EXISTS",
            r#"macro:memotrace:v2:cached_redis::search:["rust",1]"#
        ]),
        "1",
        "the argument part is the arguments as JSON"
    );
    assert!(search_invalidate("rust", 1).await);
    search_cache().clear().await;
}

static PRICE_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = tiered, ttl = "10m", max_capacity = 100, lock_timeout = "5s")]
async fn price(sku: u64) -> u64 {
    PRICE_LOADS.fetch_add(1, SeqCst);
    sku * 100
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_store_answers_from_l1_and_keeps_l2() {
    let server = server();
    assert_eq!(price(3).await, 300);
    assert_eq!(price(3).await, 300);
    assert_eq!(PRICE_LOADS.load(SeqCst), 1);
    assert_eq!(price_cache().l1().stats().entries, 1, "held in L1");
    assert_eq!(
        server.cli(&["EXISTS", "macro:memotrace:v2:cached_redis::price:3"]),
        "1",
        "and in L2"
    );
    price_cache().l1().clear();
    assert_eq!(price(3).await, 300, "L1 dropped: answered from L2");
    assert_eq!(PRICE_LOADS.load(SeqCst), 1);
    assert!(price_invalidate(3).await);
    assert_eq!(
        server.cli(&["EXISTS", "macro:memotrace:v2:cached_redis::price:3"]),
        "0"
    );
    assert_eq!(price(3).await, 300);
    assert_eq!(PRICE_LOADS.load(SeqCst), 2);
}
