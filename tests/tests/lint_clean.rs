//! Expansions of correct code compile warning-free under the strictest lint levels a
//! user crate may set (checked by `cargo clippy --all-targets` and by rustc here).
#![deny(warnings, clippy::all, clippy::pedantic)]

use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub id: u64,
    pub name: String,
}

/// A documented cached fn.
///
/// # Errors
/// When the id is zero.
#[memotrace::cached(ttl = "10m", max_capacity = 1_000, stale_if_error = "1h", tags = ["user:{id}"])]
pub fn load_user(id: u64) -> Result<User, String> {
    if id == 0 {
        return Err("no user 0".to_owned());
    }
    Ok(User {
        id,
        name: format!("user {id}"),
    })
}

#[memotrace::cached(key = "name:{name}", when = !name.is_empty(), unless = Vec::is_empty)]
#[must_use]
pub fn by_name(name: &str, limit: usize) -> Vec<u64> {
    vec![name.len() as u64; limit.min(2)]
}

#[memotrace::cached(cache_none = true, tti = "5m")]
pub async fn maybe(id: u64) -> Option<Arc<str>> {
    tokio::task::yield_now().await;
    (id > 1).then(|| Arc::from("x"))
}

/// On the tiered store (compiled here; exercised against a server in `cached_redis`).
///
/// # Errors
/// When the id is zero.
#[memotrace::cached(store = tiered, key = "user:{id}", ttl = "1h", tags = ["user:{id}"], lock_timeout = "5s")]
pub async fn shared_user(id: u64) -> Result<User, String> {
    tokio::task::yield_now().await;
    load_user(id)
}

#[derive(Clone)]
pub struct Service {
    pub tenant: u32,
}

impl Service {
    #[memotrace::cached(key = "{self.tenant}:{id}", ttl = 60, refresh_ahead = 0.8)]
    pub async fn fetch(&self, id: u64) -> User {
        tokio::task::yield_now().await;
        User {
            id,
            name: format!("t{}", self.tenant),
        }
    }

    #[memotrace::cached(key = format!("{}:{}", self.tenant, ids.len()))]
    #[must_use]
    pub fn many(&self, ids: &[u64]) -> Vec<u64> {
        ids.to_vec()
    }
}

#[test]
fn lint_clean_expansions_work() {
    assert_eq!(load_user(1).map(|u| u.id), Ok(1));
    assert_eq!(by_name("ab", 5), vec![2, 2]);
    assert!(load_user_invalidate(1));
    assert!(!by_name_invalidate("ab", 5) || by_name_cache().stats().entries == 0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let service = Service { tenant: 1 };
    assert_eq!(rt.block_on(service.fetch(3)).name, "t1");
    assert_eq!(rt.block_on(maybe(0)), None);
    assert_eq!(service.many(&[1, 2]), vec![1, 2]);
}

/// Attributes keep their meaning: `must_use` and `deprecated` stay on the public fn,
/// `expect` goes with the body that triggers the lint.
#[deprecated(note = "use load_user")]
#[memotrace::cached]
#[must_use]
#[expect(unused_variables)]
pub fn old_lookup(id: u64, unused: u8) -> u64 {
    id
}

#[memotrace::cached]
#[must_use]
pub fn r#match(pattern: &str) -> bool {
    pattern.is_empty()
}

/// Stacked: timed above the cache (every call, with `cache_hit`), on a method too.
///
/// # Errors
/// When the id is zero.
#[memotrace::log_performance(level = "info", fields(id))]
#[memotrace::cached(ttl = "1m")]
pub async fn timed_user(id: u64) -> Result<User, String> {
    tokio::task::yield_now().await;
    load_user(id)
}

impl Service {
    /// Instrumented above the cache.
    #[memotrace::instrument_db(statement = "SELECT name FROM users WHERE id = ?1")]
    #[memotrace::cached(key = "{self.tenant}:{id}")]
    #[must_use]
    pub fn name_of(&self, id: u64) -> String {
        format!("{}:{id}", self.tenant)
    }
}

/// A `'static` borrow is a value like any other.
#[memotrace::log_performance]
#[memotrace::cached]
#[must_use]
pub fn label(id: u8) -> &'static str {
    if id == 0 {
        "zero"
    } else {
        "other"
    }
}

#[test]
fn stacked_expansions_work() {
    assert_eq!(label(0), "zero");
    assert_eq!(Service { tenant: 2 }.name_of(1), "2:1");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(timed_user(4)).map(|u| u.id), Ok(4));
}

/// A weighed cache.
#[memotrace::cached(max_weight = "1MiB")]
#[must_use]
pub fn page(id: u64) -> String {
    format!("page {id}")
}

/// A sync writer returning nothing.
#[memotrace::invalidates(page(id), label(0))]
pub fn touch_page(id: u64) {
    let _ = id;
}

/// An async writer returning a `Result`.
///
/// # Errors
/// Never.
#[memotrace::invalidates(load_user(id), tags = ["user:{id}"])]
pub async fn rename_user(id: u64, name: &str) -> Result<usize, String> {
    Ok(name.len())
}

#[test]
fn writers_and_weighed_caches_work() {
    assert_eq!(page_with_status(1).0, "page 1");
    touch_page(1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(rename_user(1, "ab")), Ok(2));
}
