//! The distributed load lock: `SET lock token NX PX ttl` with a random token, released
//! only by its owner through a compare-and-delete script. Waiters poll the entry (and the
//! lock, in the same round trip when they share a slot) with exponential backoff, and
//! compute themselves once `lock_timeout` has passed.

use super::connection::RedisBackend;
use super::fail_open::StoreResult;
use redis::Script;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// A random 128-bit token, hex: unique per lock acquisition across processes.
pub fn token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut halves = [0u64; 2];
    for (i, half) in halves.iter_mut().enumerate() {
        // RandomState is seeded from the OS once per process, then per instance.
        let mut h = RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(n);
        h.write_u32(std::process::id());
        h.write_usize(i);
        *half = h.finish();
    }
    format!("{:016x}{:016x}", halves[0], halves[1])
}

static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end")
});

/// KEYS: entry, lock. ARGV: value, ttl ms (0 = none), token.
static STORE_RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1]) \
         else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end \
         if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end \
         return 1",
    )
});

/// Takes the lock `lock` for `ttl` with `token`; false when someone else holds it.
pub(crate) async fn try_acquire(
    backend: &RedisBackend,
    lock: &str,
    token: &str,
    ttl: Duration,
) -> StoreResult<bool> {
    let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
    let set: Option<String> = backend
        .query(
            redis::cmd("SET")
                .arg(lock)
                .arg(token)
                .arg("NX")
                .arg("PX")
                .arg(ms),
        )
        .await?;
    Ok(set.is_some())
}

/// Releases `lock` if `token` still owns it.
pub(crate) async fn release(backend: &RedisBackend, lock: &str, token: &str) -> StoreResult<bool> {
    let deleted: i64 = backend
        .run(|mut c| async move { RELEASE.key(lock).arg(token).invoke_async(&mut c).await })
        .await?;
    Ok(deleted == 1)
}

/// Stores `value` at `key` (with `ttl_ms`, `None` = no expiry) and releases `lock` if
/// `token` owns it: one round trip when the lock shares the entry's slot.
pub(crate) async fn store_and_release(
    backend: &RedisBackend,
    key: &str,
    value: &[u8],
    ttl_ms: Option<u64>,
    lock: Option<(&str, &str)>,
) -> StoreResult<()> {
    match lock {
        Some((lock, token)) if super::keys::lock_shares_slot(key) => {
            let ttl = ttl_ms.unwrap_or(0);
            backend
                .run(|mut c| async move {
                    STORE_RELEASE
                        .key(key)
                        .key(lock)
                        .arg(value)
                        .arg(ttl)
                        .arg(token)
                        .invoke_async::<i64>(&mut c)
                        .await
                })
                .await?;
            Ok(())
        }
        other => {
            set(backend, key, value, ttl_ms).await?;
            if let Some((lock, token)) = other {
                release(backend, lock, token).await?;
            }
            Ok(())
        }
    }
}

/// `SET key value [PX ttl]`.
pub(crate) async fn set(
    backend: &RedisBackend,
    key: &str,
    value: &[u8],
    ttl_ms: Option<u64>,
) -> StoreResult<()> {
    let mut cmd = redis::cmd("SET");
    cmd.arg(key).arg(value);
    if let Some(ms) = ttl_ms {
        cmd.arg("PX").arg(ms);
    }
    backend.query::<()>(&cmd).await
}

/// One poll: the entry and whether the lock is still held, in one round trip when they
/// share a slot.
pub(crate) async fn poll(
    backend: &RedisBackend,
    key: &str,
    lock: &str,
) -> StoreResult<(Option<Vec<u8>>, bool)> {
    if super::keys::lock_shares_slot(key) {
        let (value, held): (Option<Vec<u8>>, bool) = backend
            .run(|mut c| async move {
                redis::pipe()
                    .get(key)
                    .exists(lock)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok((value, held))
    } else {
        let value: Option<Vec<u8>> = backend.query(redis::cmd("GET").arg(key)).await?;
        let held: bool = backend.query(redis::cmd("EXISTS").arg(lock)).await?;
        Ok((value, held))
    }
}

/// Exponential backoff with jitter for lock waiters: 2 ms doubling to 50 ms, never past
/// `deadline`.
pub(crate) struct Backoff {
    next: Duration,
    deadline: Instant,
}

impl Backoff {
    pub fn until(deadline: Instant) -> Self {
        Self {
            next: Duration::from_millis(2),
            deadline,
        }
    }

    /// Sleeps the next step; false once the deadline has passed.
    pub async fn wait(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.deadline {
            return false;
        }
        let jitter = Duration::from_micros(RandomState::new().build_hasher().finish() % 1_000);
        let step = (self.next + jitter).min(self.deadline - now);
        tokio::time::sleep(step).await;
        self.next = (self.next * 2).min(Duration::from_millis(50));
        true
    }
}
