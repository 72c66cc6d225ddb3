//! How to reach Redis: URL or cluster nodes, credentials, TLS, timeouts, key prefix.

use std::fmt;
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
///
/// // Credentials in the URL or from the builder; `Debug` never prints a password.
/// let acl = RedisConfig::url("redis://app:s3cret@10.0.0.1:6379").password("rotated");
/// assert!(!format!("{acl:?}").contains("s3cret") && !format!("{acl:?}").contains("rotated"));
/// ```
///
/// With the `redis-tls` feature, `rediss://` URLs connect over TLS (rustls), checking the
/// server against the system's root certificates, or against
/// [`tls_root_ca`](Self::tls_root_ca) when set; [`tls_client_cert`](Self::tls_client_cert)
/// adds a client certificate (mutual TLS).
#[derive(Clone)]
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
    /// The ACL user of every node, instead of the one in the URLs.
    pub username: Option<String>,
    /// The password of every node, instead of the one in the URLs.
    pub(crate) password: Option<String>,
    /// CA and client certificates for `rediss://` nodes.
    #[cfg(feature = "redis-tls")]
    pub(crate) tls: Option<redis::TlsCertificates>,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("RedisConfig");
        out.field("nodes", &self.masked_nodes())
            .field("cluster", &self.cluster)
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("op_timeout", &self.op_timeout)
            .field("retries", &self.retries)
            .field("lock_timeout", &self.lock_timeout)
            .field("warn_interval", &self.warn_interval)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| MASK));
        #[cfg(feature = "redis-tls")]
        out.field("tls", &self.tls);
        out.finish()
    }
}

/// What a secret prints as.
const MASK: &str = "***";

/// `url` with its password (and a userinfo without `:`, which may be a bare token) and any
/// `pass`/`password` query value replaced by `***`: what logs and `Debug` show of a URL.
///
/// ```
/// use memotrace::cache::redis::mask_url;
///
/// assert_eq!(mask_url("rediss://app:s3cret@cache.internal:6380/0"), "rediss://app:***@cache.internal:6380/0");
/// assert_eq!(mask_url("redis://tok3n@h:1"), "redis://***@h:1");
/// assert_eq!(mask_url("redis+unix:///run/redis.sock?db=1&pass=s3cret"), "redis+unix:///run/redis.sock?db=1&pass=***");
/// assert_eq!(mask_url("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
/// ```
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return MASK.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..scheme_end]);
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            if let Some((user, _)) = rest[..at].split_once(':') {
                out.push_str(user);
                out.push(':');
            }
            out.push_str(MASK);
            out.push_str(&rest[at..authority_end]);
        }
        None => out.push_str(&rest[..authority_end]),
    }
    let tail = &rest[authority_end..];
    let Some(query_at) = tail.find('?') else {
        out.push_str(tail);
        return out;
    };
    out.push_str(&tail[..=query_at]);
    let (query, fragment) = tail[query_at + 1..]
        .split_once('#')
        .map_or((&tail[query_at + 1..], None), |(q, f)| (q, Some(f)));
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if name == "pass" || name == "password" => {
                out.push_str(name);
                out.push('=');
                out.push_str(MASK);
            }
            _ => out.push_str(pair),
        }
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
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
            username: None,
            password: None,
            #[cfg(feature = "redis-tls")]
            tls: None,
        }
    }

    /// The node URLs as logs and `Debug` show them: passwords masked by [`mask_url`].
    pub(crate) fn masked_nodes(&self) -> Vec<String> {
        self.nodes.iter().map(|url| mask_url(url)).collect()
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

    /// Authenticates as ACL user `username` on every node (instead of the URLs' user).
    #[must_use]
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Authenticates with `password` on every node (instead of the URLs' password):
    /// `requirepass`, or the ACL user's password with [`username`](Self::username).
    #[must_use]
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Trusts the CA certificates in `pem` (PEM) for `rediss://` nodes, instead of the
    /// system's root certificates.
    #[cfg(feature = "redis-tls")]
    #[must_use]
    pub fn tls_root_ca(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.get_or_insert_with(no_certificates).root_cert = Some(pem.into());
        self
    }

    /// Presents the client certificate chain `cert_pem` with its private key `key_pem`
    /// (both PEM) to `rediss://` nodes (mutual TLS).
    #[cfg(feature = "redis-tls")]
    #[must_use]
    pub fn tls_client_cert(
        mut self,
        cert_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls.get_or_insert_with(no_certificates).client_tls = Some(redis::ClientTlsConfig {
            client_cert: cert_pem.into(),
            client_key: key_pem.into(),
        });
        self
    }
}

#[cfg(feature = "redis-tls")]
fn no_certificates() -> redis::TlsCertificates {
    redis::TlsCertificates {
        client_tls: None,
        root_cert: None,
    }
}
