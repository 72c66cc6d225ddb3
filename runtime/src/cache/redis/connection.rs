//! Connections: a standalone `ConnectionManager` (reconnects by itself) or a cluster
//! connection, both with bounded connect/response timeouts and retries, created on a
//! small dedicated runtime (`memotrace-redis` thread) so they outlive the runtime of
//! whoever used them first. Every call is additionally bounded by
//! [`RedisConfig::op_timeout`].

use super::config::RedisConfig;
use super::fail_open::{StoreError, StoreResult};
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, FromRedisValue, Pipeline, RedisFuture, Value};
use std::future::Future;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

/// A connection handle, cheap to clone; commands sent through clones are pipelined on
/// one multiplexed connection (per node for a cluster).
#[derive(Clone)]
pub enum Conn {
    /// A standalone server.
    Single(ConnectionManager),
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
fn runtime() -> &'static tokio::runtime::Runtime {
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

enum Target {
    Single(ConnectionManager),
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
    pub bus: OnceLock<super::pubsub::Bus>,
}

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
            .field("nodes", &self.inner.config.nodes)
            .finish_non_exhaustive()
    }
}

impl RedisBackend {
    /// Builds the backend; fails only on a malformed URL.
    pub fn connect(config: RedisConfig) -> StoreResult<Self> {
        let first = config
            .nodes
            .first()
            .cloned()
            .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
        let client = redis::Client::open(first.as_str())?;
        let _ = &client;
        let target = if config.cluster {
            let client = ClusterClient::builder(config.nodes.clone())
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
            let manager_config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(config.connect_timeout))
                .set_response_timeout(Some(config.response_timeout))
                .set_number_of_retries(config.retries)
                .set_min_delay(Duration::from_millis(10))
                .set_max_delay(Duration::from_millis(100));
            let _entered = runtime().enter();
            Target::Single(ConnectionManager::new_lazy_with_config(
                client.clone(),
                manager_config,
            )?)
        };
        Ok(Self {
            inner: Arc::new(BackendInner {
                config,
                target,
                instance: super::lock::token(),
                bus: OnceLock::new(),
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
            Target::Single(manager) => Ok(Conn::Single(manager.clone())),
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

    /// Runs `op` on a connection, bounded by `op_timeout`; a dropped connection is retried
    /// once (the manager reconnects in between).
    pub async fn run<T, F, Fut>(&self, op: F) -> StoreResult<T>
    where
        F: Fn(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let timeout = self.inner.config.op_timeout;
        let attempt = async {
            let conn = self.conn().await?;
            match op(conn).await {
                Err(e) if e.is_connection_dropped() || e.is_io_error() => {
                    let conn = self.conn().await?;
                    op(conn).await.map_err(StoreError::from)
                }
                other => other.map_err(StoreError::from),
            }
        };
        tokio::time::timeout(timeout, attempt)
            .await
            .unwrap_or(Err(StoreError::Timeout(timeout)))
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
