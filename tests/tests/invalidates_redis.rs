//! `#[memotrace::invalidates]` on `store = redis` and `store = tiered` readers, against a
//! real redis-server started by the test: async writers await the invalidation, sync
//! writers wait for it (inside a tokio runtime and outside one).

use memotrace_tests::redis_harness::{default_backend_server, RedisServer};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

fn server() -> &'static RedisServer {
    default_backend_server("writers")
}

static USER_LOADS: AtomicUsize = AtomicUsize::new(0);
static NAME_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = redis, key = "user:{id}", name = "get_user")]
async fn get_user(id: u64) -> String {
    USER_LOADS.fetch_add(1, SeqCst);
    format!("user {id}")
}

#[memotrace::cached(store = tiered, key = "name:{id}", name = "user_name", tags = ["user:{id}"])]
async fn user_name(id: u64) -> String {
    NAME_LOADS.fetch_add(1, SeqCst);
    format!("name {id}")
}

#[memotrace::invalidates(get_user(id), tags = ["user:{id}"])]
async fn update_user(id: u64, ok: bool) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err("refused".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_writer_awaits_redis_and_tiered_invalidation() {
    let server = server();
    get_user(1).await;
    user_name(1).await;
    assert_eq!(
        server.cli(&["EXISTS", "writers:memotrace:v2:get_user:user:1"]),
        "1"
    );

    update_user(1, false).await.unwrap_err();
    assert_eq!(
        server.cli(&["EXISTS", "writers:memotrace:v2:get_user:user:1"]),
        "1",
        "Err keeps the entry"
    );

    update_user(1, true).await.unwrap();
    assert_eq!(
        server.cli(&["EXISTS", "writers:memotrace:v2:get_user:user:1"]),
        "0",
        "gone from Redis when the writer returns"
    );
    assert_eq!(
        server.cli(&["EXISTS", "writers:memotrace:v2:user_name:name:1"]),
        "0",
        "the tag reached the tiered cache's L2"
    );
    get_user(1).await;
    user_name(1).await;
    assert_eq!(USER_LOADS.load(SeqCst), 2, "get_user(1) reloaded");
    assert_eq!(
        NAME_LOADS.load(SeqCst),
        2,
        "user_name(1) reloaded (L1 dropped too)"
    );
}

static SCORE_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(store = tiered, key = "score:{id}", name = "score")]
async fn score(id: u64) -> u64 {
    SCORE_LOADS.fetch_add(1, SeqCst);
    id * 10
}

/// A sync writer of a tiered reader: it waits for the Redis round trip.
#[memotrace::invalidates(score(id))]
fn set_score(id: u64) {
    let _ = id;
}

#[tokio::test(flavor = "current_thread")]
async fn a_sync_writer_waits_for_a_shared_invalidation_inside_a_runtime() {
    let server = server();
    score(2).await;
    assert_eq!(
        server.cli(&["EXISTS", "writers:memotrace:v2:score:score:2"]),
        "1"
    );
    // On a current-thread runtime, the only thread is blocked while the writer waits:
    // the invalidation must not need it.
    set_score(2);
    assert_eq!(
        server.cli(&["EXISTS", "writers:memotrace:v2:score:score:2"]),
        "0",
        "gone from Redis when the sync writer returns"
    );
    score(2).await;
    assert_eq!(SCORE_LOADS.load(SeqCst), 2, "L1 dropped too");
}

#[memotrace::cached(store = redis, key = "rank:{id}", name = "rank")]
async fn rank(id: u64) -> u64 {
    id
}

#[memotrace::invalidates(rank(id))]
fn set_rank(id: u64) {
    let _ = id;
}

#[test]
fn a_sync_writer_waits_for_a_shared_invalidation_outside_a_runtime() {
    let server = server();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(rank(3));
    assert_eq!(
        server.cli(&["EXISTS", "writers:memotrace:v2:rank:rank:3"]),
        "1"
    );
    // The runtime that made the first connection is idle now: the invalidation must not
    // need it either.
    set_rank(3);
    assert_eq!(
        server.cli(&["EXISTS", "writers:memotrace:v2:rank:rank:3"]),
        "0",
        "gone from Redis when the sync writer returns"
    );
}
