//! Every cache of the process, for `registry()` and `invalidate_tag`.

use super::CacheStats;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

/// A boxed future, as the registry's object-safe methods return.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the registry knows of a cache; every cache type implements it.
pub(crate) trait RegisteredCache: Send + Sync {
    /// The cache's name (`name = ".."`, or the fn's path).
    fn name(&self) -> &'static str;
    /// `"memory"`, `"moka"`, `"redis"` or `"tiered"`.
    fn store(&self) -> &'static str;
    /// The cache's statistics now.
    fn stats(&self) -> CacheStats;
    /// Drops every entry carrying `tag`; resolves to how many were dropped.
    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, u64>;
}

/// One line of [`registry()`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CacheInfo {
    /// The cache's name: the fn's name unless `name = "..."` was given.
    pub name: &'static str,
    /// Its store: `memory`, `redis` or `tiered`.
    pub store: &'static str,
    /// Its statistics when [`registry()`] was called.
    pub stats: CacheStats,
}

static REGISTRY: Mutex<Vec<&'static dyn RegisteredCache>> = Mutex::new(Vec::new());

fn caches() -> Vec<&'static dyn RegisteredCache> {
    REGISTRY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// Adds a cache to the registry. Caches made by `#[cached]` register themselves the
/// first time they are used.
pub(crate) fn register(cache: &'static dyn RegisteredCache) {
    REGISTRY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(cache);
}

/// Every registered cache with its statistics, sorted by name.
///
/// ```
/// #[memotrace::cached]
/// fn square(x: u64) -> u64 { x * x }
///
/// square(3);
/// square(3);
/// let info = memotrace::cache::registry().into_iter().find(|c| c.name.ends_with("::square")).unwrap();
/// assert_eq!((info.stats.hits, info.stats.misses), (1, 1));
/// ```
pub fn registry() -> Vec<CacheInfo> {
    let mut list: Vec<CacheInfo> = caches()
        .into_iter()
        .map(|c| CacheInfo {
            name: c.name(),
            store: c.store(),
            stats: c.stats(),
        })
        .collect();
    list.sort_by_key(|c| c.name);
    list
}

/// Drops every entry carrying `tag` in every cache and store; resolves to how many
/// entries were dropped.
///
/// `tag` is compared with the rendered tag templates, whose values are escaped: build
/// it with [`KeyPart`](super::KeyPart) when a value may hold `:` or `%`
/// (`format!("user:{}", KeyPart(email))`).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// #[memotrace::cached(tags = ["user:{id}"])]
/// fn profile(id: u64) -> String { format!("profile {id}") }
///
/// profile(7);
/// assert_eq!(memotrace::cache::invalidate_tag("user:7").await, 1);
/// # });
/// ```
pub async fn invalidate_tag(tag: &str) -> u64 {
    let mut dropped = 0;
    for cache in caches() {
        dropped += cache.invalidate_tag(tag).await;
    }
    dropped
}
