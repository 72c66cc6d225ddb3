//! Who gets in: clients built from a [`RedisConfig`] (URL, credentials, TLS), and the one
//! warning when the server refuses them.

use super::config::RedisConfig;
use super::fail_open::{StoreError, WarnThrottle};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::{ConnectionInfo, ErrorKind, IntoConnectionInfo, RedisError, RedisResult};
use std::sync::atomic::{AtomicBool, Ordering};

/// The client of the node at `url`, with the configured credentials and certificates.
pub(crate) fn node_client(config: &RedisConfig, url: &str) -> RedisResult<redis::Client> {
    let info = node_info(config, url)?;
    #[cfg(feature = "redis-tls")]
    if let Some(certs) = &config.tls {
        return redis::Client::build_with_tls(info, certs.clone());
    }
    redis::Client::open(info)
}

/// A cluster client builder over the configured nodes, credentials and certificates.
pub(crate) fn cluster_builder(config: &RedisConfig) -> RedisResult<ClusterClientBuilder> {
    let nodes = config
        .nodes
        .iter()
        .map(|url| node_info(config, url))
        .collect::<RedisResult<Vec<_>>>()?;
    let mut builder = ClusterClient::builder(nodes);
    if let Some(username) = &config.username {
        builder = builder.username(username);
    }
    if let Some(password) = &config.password {
        builder = builder.password(password);
    }
    #[cfg(feature = "redis-tls")]
    if let Some(certs) = &config.tls {
        builder = builder.certs(certs.clone());
    }
    Ok(builder)
}

fn node_info(config: &RedisConfig, url: &str) -> RedisResult<ConnectionInfo> {
    let tls = url.starts_with("rediss://") || url.starts_with("valkeys://");
    if tls && cfg!(not(feature = "redis-tls")) {
        return Err(RedisError::from((
            ErrorKind::InvalidClientConfig,
            "`rediss://` URLs need memotrace's `redis-tls` feature",
        )));
    }
    #[cfg(feature = "redis-tls")]
    if tls {
        // rustls needs a process-wide crypto provider; the application may have chosen
        // one already, else ring is it.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let info = url.into_connection_info()?;
    let mut settings = info.redis_settings().clone();
    if let Some(username) = &config.username {
        settings = settings.set_username(username);
    }
    if let Some(password) = &config.password {
        settings = settings.set_password(password);
    }
    Ok(info.set_redis_settings(settings))
}

/// What is wrong when the server refused the client's credentials or permissions.
pub(crate) fn access_problem(error: &RedisError) -> Option<&'static str> {
    // The cluster client reports a failed first connection as an I/O error whose detail
    // is the node's error, as text.
    let wrapped = match error.kind() {
        ErrorKind::Io => error.detail().unwrap_or_default(),
        _ => "",
    };
    let is = |code: &str| error.code() == Some(code) || wrapped.starts_with(code);
    if is("NOAUTH") {
        Some("redis requires a password and none was configured")
    } else if is("WRONGPASS")
        || error.kind() == ErrorKind::AuthenticationFailed
        || wrapped.contains("AuthenticationFailed")
    {
        Some("redis refused the username or password")
    } else if is("NOPERM") {
        Some("the redis user lacks a permission (command, key or channel) that memotrace needs")
    } else {
        None
    }
}

/// The backend's warning about refused credentials: one per `warn_interval` for the
/// whole backend, naming the problem and the nodes without their passwords. Caches do
/// not warn about these errors themselves (they still count them), so a wrong password
/// is one line, not one per cache.
#[derive(Default)]
pub(crate) struct AccessWarning {
    throttle: WarnThrottle,
    /// The last call failed on an access problem: calls failing at once during the
    /// reconnection back-off fail for the same reason.
    refused: AtomicBool,
}

impl AccessWarning {
    /// Notes the outcome of one call; warns when it was refused.
    pub(super) fn note<T>(&self, config: &RedisConfig, result: &Result<T, StoreError>) {
        let problem = match result {
            Ok(_) => None,
            Err(error) => error.access_problem().map(|problem| (problem, error)),
        };
        let Some((problem, error)) = problem else {
            if result.is_ok() && self.refused.load(Ordering::Relaxed) {
                self.refused.store(false, Ordering::Relaxed);
            }
            return;
        };
        self.refused.store(true, Ordering::Relaxed);
        if let Some(suppressed) = self.throttle.due(config.warn_interval) {
            tracing::warn!(
                problem,
                nodes = ?config.masked_nodes(),
                %error,
                suppressed,
                "memotrace_redis_access_denied"
            );
        }
    }

    /// The error of a call made while reconnection waits out its back-off.
    pub(super) fn backoff_error(&self) -> StoreError {
        StoreError::Redis(if self.refused.load(Ordering::Relaxed) {
            RedisError::from((
                ErrorKind::AuthenticationFailed,
                "redis refused the credentials; reconnecting after a back-off",
            ))
        } else {
            RedisError::from(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "redis unreachable; reconnecting after a back-off",
            ))
        })
    }
}
