//! Caches: the in-memory stores behind `#[cached]`, their statistics, the registry of
//! every cache, and tag invalidation.
//!
//! The default engine is quick_cache (S3-FIFO, sharded) holding `(value, expiry)` checked
//! against a coarse clock (~1 ms resolution, see [`clock`](self)); caches that ask for a
//! time to idle use moka. Both sit behind [`LocalStore`].

mod background;
pub(crate) mod blocking;
mod clock;
mod config;
mod fence;
mod key_part;
mod memory;
mod moka_store;
mod outcome;
mod quick;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
mod registry;
mod single_flight;
mod stats;
mod status;
mod store;
mod tags;
pub(crate) mod weigh;
mod write_behind;

pub use config::{CacheConfig, Entry, DEFAULT_MAX_CAPACITY};
pub use key_part::KeyPart;
pub use memory::{Load, Lookup, MemoryCache, MemoryLookup, Refresh};
pub use moka_store::MokaStore;
pub use outcome::{OkOnly, OptionAll, Outcome, Plain, ReturnKind, SomeOnly, ValueOf};
pub use quick::QuickStore;
pub use registry::{invalidate_tag, register, registry, BoxFuture, CacheInfo, RegisteredCache};
pub use single_flight::{FlightGuard, Flights, Joined};
pub use stats::CacheStats;
pub use status::CacheStatus;
pub use store::{Claim, LoadGuard, LocalStore};
pub use weigh::Weigh;
pub use write_behind::{Rejected, Unflushed, WriteBehind, WriteBehindConfig, WriteBehindStats};
