//! Connections: one multiplexed connection to a standalone server (commands from every
//! task are pipelined on it), or a cluster connection; bounded connect/response timeouts
//! everywhere.
//!
//! The standalone connection is made lazily by the first call, on the caller's tokio
//! runtime, so a hit costs what a raw GET on a multiplexed connection costs there. When
//! it breaks (server restarted, or the runtime that drove it shut down), the failed call
//! drops it and retries once on a fresh one; while the server refuses connections, new
//! attempts are spaced by a short back-off (up to 250 ms) and calls in between fail at
//! once instead of each waiting for a connect timeout. The cluster connection and the
//! pub/sub subscriber live on a small dedicated runtime (`memotrace-redis` thread) that
//! lasts as long as the process.

use super::config::RedisConfig;
use super::fail_open::{StoreError, StoreResult};
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::AsyncConnectionConfig;
use redis::{Cmd, FromRedisValue, Pipeline, RedisFuture, Value};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

/// A connection handle, cheap to clone; commands sent through clones are pipelined on
/// one multiplexed connection (per node for a cluster).
#[derive(Clone)]
pub enum Conn {
    /// A standalone server.
    Single(MultiplexedConnection),
    /// A Redis Cluster.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(cmd, offset, count),
            Self::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// The runtime that owns connection tasks; it lives as long as the process.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("memotrace-redis")
            .enable_all()
            .build()
            .expect("memotrace: cannot start the redis runtime thread")
    })
}

/// Runs `task` on the connection runtime, so what it spawns outlives the caller's runtime.
pub(crate) async fn on_backend_runtime<T: Send + 'static>(
    task: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    runtime().spawn(task).await.ok()
}

/// Spawns `task` on the connection runtime.
pub(crate) fn spawn_on_backend(task: impl Future<Output = ()> + Send + 'static) {
    drop(runtime().spawn(task));
}

// One per backend: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum Target {
    Single {
        client: redis::Client,
        config: AsyncConnectionConfig,
        /// The connection and its generation (bumped at each reconnection).
        conn: RwLock<Option<(u64, MultiplexedConnection)>>,
        connecting: tokio::sync::Mutex<()>,
        generation: AtomicU64,
        /// Unix ms before which no new connection is attempted; and the current back-off.
        retry_at: AtomicU64,
        backoff_ms: AtomicU64,
    },
    Cluster {
        client: Box<ClusterClient>,
        conn: RwLock<Option<ClusterConnection>>,
        connecting: tokio::sync::Mutex<()>,
    },
}

pub(crate) struct BackendInner {
    pub config: RedisConfig,
    target: Target,
    /// Random per backend: tells this process's pub/sub messages from others'.
    pub instance: String,
    pub bus: OnceLock<super::bus::Bus>,
    /// When (Unix ms) a call last timed out or found no connection: for
    /// [`FAILURE_MEMORY`] after it, Redis counts as failing (see
    /// [`RedisBackend::known_down`]).
    failed_at: AtomicU64,
    access: super::endpoint::AccessWarning,
}

/// How long a failed call marks Redis as failing.
const FAILURE_MEMORY: u64 = 1_000;

/// A Redis or Redis Cluster backend shared by caches and [`RedisClient`](super::RedisClient)s.
///
/// Connecting never fails up front: a server that is down makes calls fail (bounded by
/// the timeouts) until it is back, and the connection recovers by itself.
///
/// ```no_run
/// # async fn demo() {
/// use memotrace::cache::redis::{RedisBackend, RedisConfig};
///
/// let backend = RedisBackend::connect(RedisConfig::url("redis://127.0.0.1:6379")).unwrap();
/// // Make it the backend of `#[cached(store = redis)]` caches:
/// memotrace::cache::redis::set_default_backend(backend.clone());
/// # }
/// ```
#[derive(Clone)]
pub struct RedisBackend {
    pub(crate) inner: Arc<BackendInner>,
}

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("nodes", &self.inner.config.masked_nodes())
            .finish_non_exhaustive()
    }
}

impl RedisBackend {
    /// Builds the backend; fails only on a malformed URL or certificate (or a
    /// `rediss://` URL without the `redis-tls` feature).
    pub fn connect(config: RedisConfig) -> StoreResult<Self> {
        let first = config
            .nodes
            .first()
            .cloned()
            .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
        let client = super::endpoint::node_client(&config, &first)?;
        let target = if config.cluster {
            let client = super::endpoint::cluster_builder(&config)?
                .connection_timeout(config.connect_timeout)
                .response_timeout(config.response_timeout)
                .overall_response_timeout(Some(config.op_timeout))
                .retries(u32::try_from(config.retries).unwrap_or(u32::MAX))
                .build()?;
            Target::Cluster {
                client: Box::new(client),
                conn: RwLock::new(None),
                connecting: tokio::sync::Mutex::new(()),
            }
        } else {
            let conn_config = AsyncConnectionConfig::new()
                .set_connection_timeout(Some(config.connect_timeout))
                .set_response_timeout(Some(config.response_timeout));
            Target::Single {
                client: client.clone(),
                config: conn_config,
                conn: RwLock::new(None),
                connecting: tokio::sync::Mutex::new(()),
                generation: AtomicU64::new(0),
                retry_at: AtomicU64::new(0),
                backoff_ms: AtomicU64::new(0),
            }
        };
        Ok(Self {
            inner: Arc::new(BackendInner {
                config,
                target,
                instance: super::token::token(),
                bus: OnceLock::new(),
                failed_at: AtomicU64::new(0),
                access: super::endpoint::AccessWarning::default(),
            }),
        })
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &RedisConfig {
        &self.inner.config
    }

    /// Whether this is a cluster backend.
    pub fn is_cluster(&self) -> bool {
        matches!(self.inner.target, Target::Cluster { .. })
    }

    /// A connection handle (connecting to the cluster first if needed, bounded by the
    /// timeouts).
    pub async fn conn(&self) -> StoreResult<Conn> {
        match &self.inner.target {
            Target::Single { .. } => self.single().await.map(|(_, c)| Conn::Single(c)),
            Target::Cluster {
                client,
                conn,
                connecting,
            } => {
                if let Some(c) = conn
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .as_ref()
                {
                    return Ok(Conn::Cluster(c.clone()));
                }
                let timeout = self.inner.config.op_timeout;
                let _one = tokio::time::timeout(timeout, connecting.lock())
                    .await
                    .map_err(|_| StoreError::Timeout(timeout))?;
                if let Some(c) = conn
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .as_ref()
                {
                    return Ok(Conn::Cluster(c.clone()));
                }
                let client = ClusterClient::clone(client);
                let made = tokio::time::timeout(
                    timeout,
                    on_backend_runtime(async move { client.get_async_connection().await }),
                )
                .await
                .map_err(|_| StoreError::Timeout(timeout))?
                .ok_or(StoreError::Timeout(timeout))??;
                *conn
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(made.clone());
                Ok(Conn::Cluster(made))
            }
        }
    }

    /// The standalone connection with its generation, connecting when there is none.
    async fn single(&self) -> StoreResult<(u64, MultiplexedConnection)> {
        let Target::Single {
            client,
            config,
            conn,
            connecting,
            generation,
            retry_at,
            backoff_ms,
        } = &self.inner.target
        else {
            unreachable!("single() on a cluster backend")
        };
        let current = || conn.read().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(c) = current() {
            return Ok(c);
        }
        let unavailable = || self.inner.access.backoff_error();
        if super::codec::unix_ms() < retry_at.load(Ordering::Relaxed) {
            return Err(unavailable());
        }
        // Connecting (TCP and handshake) fits in the connect timeout, so a call that
        // reconnects waits at most that plus one response timeout.
        let bound = self.inner.config.connect_timeout;
        let _one = tokio::time::timeout(bound, connecting.lock())
            .await
            .map_err(|_| StoreError::Timeout(bound))?;
        if let Some(c) = current() {
            return Ok(c);
        }
        if super::codec::unix_ms() < retry_at.load(Ordering::Relaxed) {
            return Err(unavailable());
        }
        // Made on the connection runtime, as the cluster's: the connection's driver task
        // must outlive the caller's runtime, and keep running while a sync caller blocks
        // its thread (`cache::blocking`).
        let (client, config) = (client.clone(), config.clone());
        let made = tokio::time::timeout(
            bound,
            on_backend_runtime(async move {
                client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
            }),
        )
        .await;
        match made {
            Ok(Some(Ok(c))) => {
                let made = (generation.fetch_add(1, Ordering::Relaxed) + 1, c);
                *conn.write().unwrap_or_else(PoisonError::into_inner) = Some(made.clone());
                backoff_ms.store(0, Ordering::Relaxed);
                retry_at.store(0, Ordering::Relaxed);
                Ok(made)
            }
            failed => {
                let backoff = (backoff_ms.load(Ordering::Relaxed) * 2).clamp(10, 250);
                backoff_ms.store(backoff, Ordering::Relaxed);
                retry_at.store(super::codec::unix_ms() + backoff, Ordering::Relaxed);
                match failed {
                    Ok(Some(Err(e))) => Err(e.into()),
                    _ => Err(StoreError::Timeout(bound)),
                }
            }
        }
    }

    /// Forgets the standalone connection of generation `gen` (broken).
    fn drop_single(&self, gen: u64) {
        if let Target::Single { conn, .. } = &self.inner.target {
            let mut slot = conn.write().unwrap_or_else(PoisonError::into_inner);
            if slot.as_ref().is_some_and(|(g, _)| *g == gen) {
                *slot = None;
            }
        }
    }

    /// Whether a call to Redis timed out or found no connection within the last second:
    /// a call that has already waited once then sends Redis nothing more, and work that
    /// can wait (invalidation broadcasts) leaves the caller's path.
    pub(crate) fn known_down(&self) -> bool {
        let at = self.inner.failed_at.load(Ordering::Relaxed);
        at != 0 && super::codec::unix_ms() < at + FAILURE_MEMORY
    }

    /// Runs `op` on a connection. Bounded: standalone, by the response timeout (plus
    /// the connect timeout when it has to connect; a call whose connection turned out
    /// broken is retried once on a fresh one); cluster, by `op_timeout`. Refused
    /// credentials or permissions are warned about once per `warn_interval`.
    pub async fn run<T, F, Fut>(&self, op: F) -> StoreResult<T>
    where
        F: Fn(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let result = self.attempt(op).await;
        self.inner.access.note(&self.inner.config, &result);
        let failed = match &result {
            Ok(_) => false,
            Err(StoreError::Redis(e)) => {
                e.is_timeout()
                    || e.is_io_error()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
            }
            Err(_) => true,
        };
        if failed {
            self.inner
                .failed_at
                .store(super::codec::unix_ms(), Ordering::Relaxed);
        }
        result
    }

    async fn attempt<T, F, Fut>(&self, op: F) -> StoreResult<T>
    where
        F: Fn(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if self.is_cluster() {
            // Bounded by the cluster client's own overall response timeout (`op_timeout`).
            let conn = self.conn().await?;
            return op(conn).await.map_err(StoreError::from);
        }
        // Bounded by the connection's response timeout; no extra timer on the hot path.
        let (gen, conn) = self.single().await?;
        match op(Conn::Single(conn)).await {
            // A timeout says the server is slow, not that the connection is broken:
            // reconnecting would only wait again.
            Err(e)
                if !e.is_timeout()
                    && (e.is_connection_dropped()
                        || e.is_io_error()
                        || e.is_unrecoverable_error()) =>
            {
                self.drop_single(gen);
                let (_, conn) = self.single().await?;
                op(Conn::Single(conn)).await.map_err(StoreError::from)
            }
            other => other.map_err(StoreError::from),
        }
    }

    /// Sends one command (bounded, retried once on a dropped connection).
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> StoreResult<T> {
        self.run(|mut c| async move { cmd.query_async(&mut c).await })
            .await
    }

    /// The primaries of the cluster as `(host, port)`; for a standalone server, empty.
    pub async fn primaries(&self) -> StoreResult<Vec<(String, u16)>> {
        if !self.is_cluster() {
            return Ok(Vec::new());
        }
        let slots: Vec<Value> = self.query(redis::cmd("CLUSTER").arg("SLOTS")).await?;
        let mut primaries = Vec::new();
        for range in slots {
            let Value::Array(parts) = range else { continue };
            let Some(Value::Array(node)) = parts.get(2) else {
                continue;
            };
            let host = node
                .first()
                .and_then(|v| String::from_redis_value(v.clone()).ok());
            let port = node
                .get(1)
                .and_then(|v| i64::from_redis_value(v.clone()).ok());
            if let (Some(host), Some(port)) = (host, port.and_then(|p| u16::try_from(p).ok())) {
                if !primaries.contains(&(host.clone(), port)) {
                    primaries.push((host, port));
                }
            }
        }
        Ok(primaries)
    }

    /// Sends `cmd` to one node (cluster) or the server (standalone).
    pub async fn query_node<T: FromRedisValue>(
        &self,
        node: Option<&(String, u16)>,
        cmd: &Cmd,
    ) -> StoreResult<T> {
        let Some((host, port)) = node else {
            return self.query(cmd).await;
        };
        let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
            host: host.clone(),
            port: *port,
        });
        let value = self
            .run(|c| {
                let routing = routing.clone();
                async move {
                    match c {
                        Conn::Cluster(mut c) => c.route_command(cmd.clone(), routing).await,
                        Conn::Single(mut c) => cmd.query_async(&mut c).await,
                    }
                }
            })
            .await?;
        T::from_redis_value(value).map_err(|e| StoreError::Redis(e.into()))
    }
}

static DEFAULT: OnceLock<RwLock<Option<RedisBackend>>> = OnceLock::new();

fn default_slot() -> &'static RwLock<Option<RedisBackend>> {
    DEFAULT.get_or_init(|| RwLock::new(None))
}

/// Makes `backend` the one caches without an explicit backend use (`#[cached(store =
/// redis)]`). Call it before the first such cache is used; caches already built keep
/// theirs.
pub fn set_default_backend(backend: RedisBackend) {
    *default_slot()
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(backend);
}

/// The default backend: the one set by [`set_default_backend`], else one built from
/// `MEMOTRACE_REDIS_URL` (comma-separated URLs = cluster), else `redis://127.0.0.1:6379`.
pub fn default_backend() -> RedisBackend {
    if let Some(b) = default_slot()
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
    {
        return b.clone();
    }
    let mut slot = default_slot()
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(b) = slot.as_ref() {
        return b.clone();
    }
    let config =
        RedisConfig::from_env().unwrap_or_else(|| RedisConfig::url("redis://127.0.0.1:6379"));
    let backend = RedisBackend::connect(config).unwrap_or_else(|error| {
        tracing::warn!(%error, "memotrace_redis_url_invalid");
        RedisBackend::connect(RedisConfig::url("redis://127.0.0.1:6379"))
            .expect("the fallback URL parses")
    });
    *slot = Some(backend.clone());
    backend
}
