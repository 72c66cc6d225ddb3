//! Items the `#[cached]` expansions reach for.

pub use crate::cache::call::{answered, finish, finish_async, StatusScope, WithStatus};
pub use crate::cache::cell::CacheCell;
pub use crate::cache::contract::{CacheLookup, CacheStore};
pub use crate::cache::eviction::Evictions;
pub use crate::cache::expiry::{
    err_ttl, own_expiry, per_entry, ErrTtl, IntoLifetime, Lifetime, LifetimeOf, OwnExpiry, PerEntry,
};
pub use crate::cache::memory::{memory_with_store, Lookup};
pub use crate::cache::outcome::{
    OkOnly, OptionAll, Outcome, Plain, ResultAll, ReturnKind, SomeOnly, ValueOf,
};
pub use crate::cache::settle::{
    body_returning, invalidate_tags, invalidate_tags_blocking, Settle, SettleLater, SettleNow,
};
pub use crate::cache::store::{Claim, LoadGuard, LocalStore};
pub use crate::cache::timeout::hard_timeout;
pub use crate::cache::weigh::{weigh_value, Weighed, WeigherFn};
pub use crate::cache::{CacheConfig, KeyPart, MemoryCache, MokaStore, QuickStore};
use std::marker::PhantomData;
pub use std::sync::LazyLock;
pub use std::time::Duration;

/// `Shape::<R>::WRAPPED` is true when `R` is a `Result` or an `Option`, whatever it is
/// called in the signature: the inherent consts below are preferred over
/// [`PlainShape`]'s, which answers for every other type. `#[cached]` asserts it is false
/// for return types it treats as plain values, so a `Result` behind a type alias is a
/// compile error instead of a cache of `Err`s.
pub struct Shape<R: ?Sized>(PhantomData<R>);

impl<T, E> Shape<Result<T, E>> {
    pub const WRAPPED: bool = true;
}

impl<T> Shape<Option<T>> {
    pub const WRAPPED: bool = true;
}

/// The answer of [`Shape`] for types that are neither `Result` nor `Option`.
pub trait PlainShape {
    const WRAPPED: bool = false;
}

impl<R: ?Sized> PlainShape for Shape<R> {}

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
pub use crate::cache::redis::keys::{args_key, lock_key};
#[cfg(feature = "redis")]
pub use crate::cache::redis::tiered::tiered_with_store;
#[cfg(feature = "redis")]
pub use crate::cache::redis::{RedisCache, TieredCache};

/// `store = redis | tiered` expansions go through it: `{ expansion } { fallback }`. With
/// the `redis` feature, the expansion; without, one error saying what to enable and the
/// fallback (the fn and companions that need no Redis type), so call sites still resolve.
#[cfg(feature = "redis")]
#[doc(hidden)]
#[macro_export]
macro_rules! __memotrace_require_redis {
    ({ $($with_redis:tt)* } { $($without_redis:tt)* }) => { $($with_redis)* };
}

#[cfg(not(feature = "redis"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __memotrace_require_redis {
    ({ $($with_redis:tt)* } { $($without_redis:tt)* }) => {
        ::core::compile_error!(
            "`store = redis` and `store = tiered` need the `redis` feature of memotrace: \
             memotrace = { version = \"0.1\", features = [\"redis\"] }"
        );
        $($without_redis)*
    };
}

pub use crate::__memotrace_require_redis as require_redis;
