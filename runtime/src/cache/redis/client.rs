//! `RedisClient`: the typed client for code that is not a single fn (typed get, set with
//! ttl, delete, counters, pattern deletes and `get_or_compute` under the distributed lock).

use super::codec::{Codec, JsonCodec};
use super::connection::{default_backend, RedisBackend};
use super::fail_open::{StoreError, StoreResult};
use super::keys;
use super::lock::{self, Backoff};
use super::token;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::convert::Infallible;
use std::future::Future;
use std::time::{Duration, Instant};

/// Typed get / set-with-ttl / delete / exists / increment / get-or-compute under the
/// distributed lock, values encoded by the codec (plain JSON by default, no envelope, so
/// other programs read them). Keys get the backend's `key_prefix`.
///
/// `get_or_compute` fails open (Redis down = compute); the other calls return the
/// [`StoreError`] so the caller decides.
///
/// ```no_run
/// # async fn demo() -> Result<(), memotrace::cache::redis::StoreError> {
/// use memotrace::cache::redis::{RedisBackend, RedisClient, RedisConfig};
/// use std::time::Duration;
///
/// let cache = RedisClient::new(RedisBackend::connect(RedisConfig::url("redis://127.0.0.1:6379"))?);
/// cache.set("user:123", &"John Doe", Some(Duration::from_secs(3600))).await?;
/// let name: Option<String> = cache.get("user:123").await?;
/// assert_eq!(name.as_deref(), Some("John Doe"));
/// assert_eq!(cache.incr("visits", 1).await?, 1);
/// let stats: Vec<u32> = cache
///     .get_or_compute("stats:daily", Some(Duration::from_secs(60)), || async { vec![1, 2, 3] })
///     .await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisClient<C: Codec = JsonCodec> {
    backend: RedisBackend,
    codec: C,
    lock_timeout: Duration,
}

impl RedisClient<JsonCodec> {
    /// A JSON client on `backend`.
    pub fn new(backend: RedisBackend) -> Self {
        Self::with_codec(backend, JsonCodec)
    }

    /// A JSON client on the [default backend](super::default_backend).
    pub fn from_default() -> Self {
        Self::new(default_backend())
    }
}

impl<C: Codec> RedisClient<C> {
    /// A client encoding values with `codec`.
    pub fn with_codec(backend: RedisBackend, codec: C) -> Self {
        let lock_timeout = backend.config().lock_timeout;
        Self {
            backend,
            codec,
            lock_timeout,
        }
    }

    /// Sets how long `get_or_compute`'s lock lives and others wait for it.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The backend.
    pub fn backend(&self) -> &RedisBackend {
        &self.backend
    }

    /// The Redis key for `key` (with the backend's prefix).
    pub fn key(&self, key: &str) -> String {
        match self.backend.config().key_prefix.as_deref() {
            Some(p) if !p.is_empty() => format!("{p}:{key}"),
            _ => key.to_owned(),
        }
    }

    fn decode<V: DeserializeOwned>(
        &self,
        key: &str,
        bytes: Option<Vec<u8>>,
    ) -> StoreResult<Option<V>> {
        bytes
            .map(|b| {
                self.codec
                    .decode(&b)
                    .map_err(|e| StoreError::Decode(format!("{key}: {e}")))
            })
            .transpose()
    }

    /// The value at `key`, if any.
    pub async fn get<V: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<V>> {
        let key = self.key(key);
        let bytes: Option<Vec<u8>> = self.backend.query(redis::cmd("GET").arg(&key)).await?;
        self.decode(&key, bytes)
    }

    /// Stores `value` at `key`, expiring after `ttl` (`None`: never).
    pub async fn set<V: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &V,
        ttl: Option<Duration>,
    ) -> StoreResult<()> {
        let mut bytes = Vec::new();
        self.codec
            .encode(&value, &mut bytes)
            .map_err(StoreError::Encode)?;
        let ms = ttl.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX).max(1));
        lock::set(&self.backend, &self.key(key), &bytes, ms).await
    }

    /// Deletes `key`; true when it existed.
    pub async fn delete(&self, key: &str) -> StoreResult<bool> {
        let n: u64 = self
            .backend
            .query(redis::cmd("DEL").arg(self.key(key)))
            .await?;
        Ok(n > 0)
    }

    /// Whether `key` exists.
    pub async fn exists(&self, key: &str) -> StoreResult<bool> {
        self.backend
            .query(redis::cmd("EXISTS").arg(self.key(key)))
            .await
    }

    /// Adds `by` to the integer at `key` atomically (missing = 0); the new value.
    pub async fn incr(&self, key: &str, by: i64) -> StoreResult<i64> {
        self.backend
            .query(redis::cmd("INCRBY").arg(self.key(key)).arg(by))
            .await
    }

    /// Deletes every key matching the glob `pattern` (prefix added), by `SCAN` on every
    /// primary; how many were deleted.
    pub async fn delete_pattern(&self, pattern: &str) -> StoreResult<u64> {
        let prefix = self.key("");
        super::scan::delete_pattern(
            &self.backend,
            &format!("{}{pattern}", keys::glob_escape(&prefix)),
        )
        .await
    }

    /// The value at `key`, or `compute`'s, stored with `ttl`: across every process one
    /// caller computes (under `SET NX PX` with a token), the others poll with backoff and
    /// compute themselves after the lock timeout. Redis failures mean computing.
    pub async fn get_or_compute<V, F, Fut>(&self, key: &str, ttl: Option<Duration>, compute: F) -> V
    where
        V: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        match self
            .try_get_or_compute(key, ttl, || async { Ok::<V, Infallible>(compute().await) })
            .await
        {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }

    /// [`RedisClient::get_or_compute`] for a fallible computation: an `Err` is returned
    /// and not stored.
    pub async fn try_get_or_compute<V, E, F, Fut>(
        &self,
        key: &str,
        ttl: Option<Duration>,
        compute: F,
    ) -> Result<V, E>
    where
        V: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let full = self.key(key);
        let lock_key = keys::lock_key(&full);
        let token = token::token();
        let owned = 'wait: {
            match self.get_raw(&full).await {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(_) => break 'wait false,
            }
            let mut backoff = Backoff::until(Instant::now() + self.lock_timeout);
            loop {
                match lock::try_acquire(&self.backend, &lock_key, &token, self.lock_timeout).await {
                    Ok(true) => break 'wait true,
                    Ok(false) => {}
                    Err(_) => break 'wait false,
                }
                loop {
                    if !backoff.wait().await {
                        tracing::warn!(key = %full, "cache_lock_wait_timed_out");
                        break 'wait false;
                    }
                    match lock::poll(&self.backend, &full, &lock_key).await {
                        Ok((Some(bytes), _)) => {
                            if let Ok(Some(v)) = self.decode(&full, Some(bytes)) {
                                return Ok(v);
                            }
                        }
                        Ok((None, true)) => {}
                        Ok((None, false)) => break,
                        Err(_) => break 'wait false,
                    }
                }
            }
        };
        let value = compute().await;
        let lock = owned.then_some((lock_key.as_str(), token.as_str()));
        match &value {
            Ok(v) => {
                let mut bytes = Vec::new();
                if self.codec.encode(v, &mut bytes).is_ok() {
                    let ms = ttl.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX).max(1));
                    let _ = lock::store_and_release(&self.backend, &full, &bytes, ms, lock).await;
                } else if let Some((l, t)) = lock {
                    let _ = lock::release(&self.backend, l, t).await;
                }
            }
            Err(_) => {
                if let Some((l, t)) = lock {
                    let _ = lock::release(&self.backend, l, t).await;
                }
            }
        }
        value
    }

    async fn get_raw<V: DeserializeOwned>(&self, full: &str) -> StoreResult<Option<V>> {
        let bytes: Option<Vec<u8>> = self.backend.query(redis::cmd("GET").arg(full)).await?;
        // An undecodable value is recomputed and overwritten.
        Ok(self.decode(full, bytes).unwrap_or(None))
    }
}
