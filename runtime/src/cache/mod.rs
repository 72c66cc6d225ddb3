//! Caches: the in-memory stores behind `#[cached]`, their statistics, the registry of
//! every cache, and tag invalidation.
//!
//! The default engine is quick_cache (S3-FIFO, sharded) holding `(value, expiry)` checked
//! against a coarse clock (~1 ms resolution, see [`clock`](self)); caches that ask for a
//! time to idle use moka ([`QuickStore`] and [`MokaStore`]).

pub(crate) mod background;
pub(crate) mod blocking;
pub(crate) mod call;
pub(crate) mod cell;
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod contract;
pub(crate) mod eviction;
pub(crate) mod expiry;
mod fence;
mod key_part;
pub(crate) mod memory;
mod moka_store;
pub(crate) mod outcome;
mod quick;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
pub(crate) mod registry;
pub(crate) mod settle;
pub(crate) mod single_flight;
mod soft_timeout;
mod stats;
mod status;
pub(crate) mod store;
pub(crate) mod tags;
pub(crate) mod timeout;
pub(crate) mod weigh;
mod write_behind;

pub use config::{CacheConfig, DEFAULT_MAX_CAPACITY};
pub use eviction::EvictionCause;
pub use expiry::Expires;
pub use key_part::KeyPart;
pub use memory::MemoryCache;
pub use moka_store::MokaStore;
pub use quick::QuickStore;
pub use registry::{invalidate_tag, registry, CacheInfo};
pub use stats::CacheStats;
pub use status::CacheStatus;
pub use timeout::Timeout;
pub use weigh::Weigh;
pub use write_behind::{Rejected, Unflushed, WriteBehind, WriteBehindConfig, WriteBehindStats};
