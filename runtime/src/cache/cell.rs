//! Where a `#[cached]` fn keeps its cache: a `static` holding the cache's config, built
//! at compile time, and the cache, built and registered at the first call.

use super::config::CacheConfig;
use super::contract::CacheStore;
use std::sync::OnceLock;

/// A `#[cached]` fn's cache, built from `config` and registered at first use.
pub struct CacheCell<T: 'static> {
    config: CacheConfig,
    cache: OnceLock<&'static T>,
}

impl<T: CacheStore> CacheCell<T> {
    /// A cell for a cache with this config, not built yet.
    pub const fn new(config: CacheConfig) -> Self {
        Self {
            config,
            cache: OnceLock::new(),
        }
    }

    /// The cache, built and registered by the first call.
    #[inline]
    pub fn get(&'static self) -> &'static T {
        self.cache.get_or_init(|| T::build(self.config.clone()))
    }
}
