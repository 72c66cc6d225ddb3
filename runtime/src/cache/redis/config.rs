//! How to reach Redis: URL or cluster nodes, timeouts, key prefix.

use std::time::Duration;

/// The environment variable read when no backend was configured in code: one URL for a
/// standalone server, several comma-separated URLs for a Redis Cluster.
pub const REDIS_URL_ENV: &str = "MEMOTRACE_REDIS_URL";

/// Where the Redis backend connects and how long it waits.
///
/// Every Redis call is bounded: on a standalone server by `response_timeout` (plus
/// `connect_timeout` when it has to connect, and the same again for its single retry
/// after finding its connection broken); on a cluster by `op_timeout`. A call that runs
/// out of time counts as a store error and the cache treats it as a miss.
///
/// ```
/// use memotrace::cache::redis::RedisConfig;
/// use std::time::Duration;
///
/// let standalone = RedisConfig::url("redis://127.0.0.1:6379")
///     .key_prefix("prod")
///     .op_timeout(Duration::from_millis(200));
/// assert_eq!(standalone.nodes.len(), 1);
///
/// let cluster = RedisConfig::cluster(["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]);
/// assert!(cluster.is_cluster());
///
/// // Comma-separated = cluster, as `MEMOTRACE_REDIS_URL` reads it.
/// assert!(RedisConfig::parse("redis://a:1,redis://b:2").is_cluster());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RedisConfig {
    /// Server URLs: one for a standalone server, the initial nodes for a cluster.
    pub nodes: Vec<String>,
    /// Whether `nodes` are Redis Cluster nodes.
    pub cluster: bool,
    /// Prepended to every key as `{prefix}:` (e.g. the environment: `prod`).
    pub key_prefix: Option<String>,
    /// Bound on opening one TCP connection.
    pub connect_timeout: Duration,
    /// Bound on one server response.
    pub response_timeout: Duration,
    /// Bound on one whole cluster call (redirections and retries included), and on one
    /// attempt to connect to a cluster.
    pub op_timeout: Duration,
    /// Cluster client retries inside one call.
    pub retries: usize,
    /// Default distributed-lock lifetime (`lock_timeout`) for caches that set none.
    pub lock_timeout: Duration,
    /// At most one fail-open warning per cache per this interval.
    pub warn_interval: Duration,
}

impl RedisConfig {
    /// A standalone server.
    pub fn url(url: impl Into<String>) -> Self {
        Self::with_nodes(vec![url.into()], false)
    }

    /// A Redis Cluster reached through these initial nodes (the client discovers the rest).
    pub fn cluster<I, S>(nodes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::with_nodes(nodes.into_iter().map(Into::into).collect(), true)
    }

    /// One URL = standalone; several comma-separated URLs = cluster.
    pub fn parse(urls: &str) -> Self {
        let nodes: Vec<String> = urls
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let cluster = nodes.len() > 1;
        Self::with_nodes(nodes, cluster)
    }

    /// From [`REDIS_URL_ENV`], when it is set.
    pub fn from_env() -> Option<Self> {
        std::env::var(REDIS_URL_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| Self::parse(&v))
    }

    fn with_nodes(nodes: Vec<String>, cluster: bool) -> Self {
        Self {
            nodes,
            cluster,
            key_prefix: None,
            connect_timeout: Duration::from_millis(250),
            response_timeout: Duration::from_millis(250),
            op_timeout: Duration::from_millis(500),
            retries: 1,
            lock_timeout: Duration::from_secs(30),
            warn_interval: Duration::from_secs(10),
        }
    }

    /// Whether this is a cluster configuration.
    pub fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// Treats the nodes as cluster nodes even when there is only one.
    #[must_use]
    pub fn as_cluster(mut self) -> Self {
        self.cluster = true;
        self
    }

    /// Prepends `{prefix}:` to every key.
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = Some(prefix.into());
        self
    }

    /// Sets the TCP connect bound.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the per-response bound.
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Sets the whole-call bound of cluster calls.
    #[must_use]
    pub fn op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }

    /// Sets the cluster client's retries inside one call.
    #[must_use]
    pub fn retries(mut self, retries: usize) -> Self {
        self.retries = retries;
        self
    }

    /// Sets the default distributed-lock lifetime.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Sets the minimum interval between two fail-open warnings of one cache.
    #[must_use]
    pub fn warn_interval(mut self, interval: Duration) -> Self {
        self.warn_interval = interval;
        self
    }
}
