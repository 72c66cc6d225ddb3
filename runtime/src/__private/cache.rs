//! Items the `#[cached]` expansions reach for.

pub use crate::cache::{
    CacheConfig, Lookup, MemoryCache, MokaStore, OkOnly, OptionAll, Plain, QuickStore, ReturnKind,
    SomeOnly, ValueOf,
};
pub use std::sync::LazyLock;
pub use std::time::Duration;

/// `unless` when none was given: every value is stored.
#[inline]
pub fn store_all<V>(_: &V) -> bool {
    false
}

/// Tags when none were given.
#[inline]
pub fn no_tags() -> Vec<String> {
    Vec::new()
}

#[cfg(feature = "redis")]
pub use crate::cache::redis::{args_key, RedisCache, RedisLookup, TieredCache, TieredLookup};
