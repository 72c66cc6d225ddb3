//! Redis and Redis Cluster stores (feature `redis`): [`RedisCache`] behind
//! `#[cached(store = redis)]`, [`TieredCache`] (memory L1 in front of Redis L2) behind
//! `store = tiered`, and [`RedisClient`], the typed client for code that is not one fn.
//!
//! # Configuration
//! In code: [`RedisConfig`] (URL or cluster nodes, credentials, TLS with the `redis-tls`
//! feature, timeouts, key prefix) →
//! [`RedisBackend::connect`] → [`set_default_backend`] or a cache's `with_backend`. With
//! nothing configured, the default backend reads `MEMOTRACE_REDIS_URL` (several
//! comma-separated URLs = cluster) at first use.
//!
//! # Keys
//! See [`keys`](self::KeySpace): `[{prefix}:]{namespace}:v{version}:{name}:{args}`; tag
//! sets `…:{name}:#tag:{<tag>}`, locks `{<entry key>}:lock` (hash tags keep the lock in
//! the entry's slot). `{args}` is the key template with its values escaped
//! ([`KeyPart`](crate::cache::KeyPart)), or the arguments themselves (JSON, or its SHA-256 when long).
//!
//! # Who gets in
//! Credentials from the URL (`redis://user:password@host`) or from
//! [`RedisConfig::username`] / [`RedisConfig::password`]; `rediss://` with the `redis-tls`
//! feature. URLs print masked ([`mask_url`]); refused credentials fail open with one
//! `memotrace_redis_access_denied` warning per backend per `warn_interval`.
//!
//! # Failure behaviour (fail-open)
//! Every call is bounded (connect and response timeouts 250 ms each by default; cluster
//! calls by [`RedisConfig::op_timeout`], 500 ms). Redis down, killed mid-call,
//! restarting, slow, or an entry that does not decode: the lookup is a miss and the
//! loader runs, without taking the lock or writing back when Redis did not answer (so a
//! call waits for Redis once, not three times); a failed write is dropped;
//! the counters `store_errors` / `decode_errors` of [`CacheStats`](crate::cache::CacheStats)
//! go up and one warning per cache per `warn_interval` (10 s) is logged
//! (`cache_store_failed_open`, with the number suppressed). Nothing panics, no waiter
//! hangs: the load lock is a short lease its owner renews while it loads, so lock
//! waiters take over within one lease (at most 3 s) once its owner is gone. The
//! connection reconnects by itself (see [`RedisBackend`]); while the server refuses
//! connections, calls fail at once between reconnection attempts (back-off up to 250 ms).
//!
//! Calls need a tokio runtime with time enabled (`#[tokio::main]`'s default).

mod bus;
pub(crate) mod cache;
mod client;
pub(crate) mod codec;
mod config;
pub(crate) mod connection;
mod endpoint;
mod fail_open;
pub(crate) mod keys;
mod l1;
mod lock;
mod pubsub;
mod scan;
pub(crate) mod tiered;
mod token;

pub use cache::{RedisCache, RedisValue};
pub use client::RedisClient;
#[cfg(feature = "redis-msgpack")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis-msgpack")))]
pub use codec::MsgPackCodec;
pub use codec::{Codec, JsonCodec};
pub use config::{mask_url, RedisConfig, REDIS_URL_ENV};
pub(crate) use connection::runtime as backend_runtime;
pub use connection::{default_backend, set_default_backend, Conn, RedisBackend};
pub use fail_open::{StoreError, StoreResult};
pub use keys::{KeySpace, DEFAULT_NAMESPACE, DEFAULT_VERSION};
pub use tiered::TieredCache;
