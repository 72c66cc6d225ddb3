//! `tags = [..]` and `memotrace::cache::invalidate_tag`: one tag drops its entries in
//! every cache, and nothing else.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

static PROFILE_LOADS: AtomicUsize = AtomicUsize::new(0);
static POSTS_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(tags = ["user:{id}", "team:{team}"])]
fn profile(id: u64, team: &str) -> String {
    PROFILE_LOADS.fetch_add(1, SeqCst);
    format!("{id}@{team}")
}

#[memotrace::cached(key = "posts:{user}", tags = ["user:{user}"])]
async fn posts(user: u64) -> Vec<String> {
    POSTS_LOADS.fetch_add(1, SeqCst);
    vec![format!("post by {user}")]
}

#[tokio::test]
async fn a_tag_drops_its_entries_in_every_cache() {
    profile(1, "red");
    profile(2, "red");
    profile(3, "blue");
    posts(1).await;
    posts(2).await;

    assert_eq!(
        memotrace::cache::invalidate_tag("user:1").await,
        2,
        "profile(1) and posts(1)"
    );
    profile(1, "red");
    profile(2, "red");
    posts(1).await;
    posts(2).await;
    assert_eq!(PROFILE_LOADS.load(SeqCst), 4, "only profile(1) reloaded");
    assert_eq!(POSTS_LOADS.load(SeqCst), 3, "only posts(1) reloaded");

    assert_eq!(memotrace::cache::invalidate_tag("team:red").await, 2);
    profile(3, "blue");
    assert_eq!(PROFILE_LOADS.load(SeqCst), 4, "blue untouched");
    profile(1, "red");
    assert_eq!(PROFILE_LOADS.load(SeqCst), 5);

    assert_eq!(memotrace::cache::invalidate_tag("team:none").await, 0);
    assert!(profile_cache().stats().invalidations >= 3);
}
