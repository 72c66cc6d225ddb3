//! The distributed load lock: `SET lock token NX PX lease` with a random token, released
//! only by its owner through a compare-and-delete script.
//!
//! The lock is a short lease ([`lease_for`]: `min(lock_timeout, 3 s)`) that its owner's
//! [`Watchdog`] renews every third of the lease (compare-and-`PEXPIRE` by token) while
//! the loader runs, so a load longer than `lock_timeout` still runs once across
//! processes, and a lock whose owner is gone lapses within one lease. An acquire whose
//! reply was lost (timeout, dropped connection) is followed by a compare-and-delete with
//! the same token, sent in the background on the same connection: the server runs it
//! right after the late `SET`, so the orphan does not outlive the stall. Waiters poll the
//! entry (and the lock, in the same round trip when they share a slot) with exponential
//! backoff, and take the lock themselves once it is gone and the entry still missing.

use super::connection::{spawn_on_backend, RedisBackend};
use super::fail_open::StoreResult;
use redis::Script;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

const RELEASE_SRC: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(RELEASE_SRC));

/// KEYS: lock. ARGV: token, lease ms. 1 when the token still owns the lock (renewed).
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end",
    )
});

/// The longest lease a lock is taken for at once; its owner renews it while it loads.
pub(super) const MAX_LEASE: Duration = Duration::from_secs(3);

/// The lease of a lock for a cache whose `lock_timeout` is `lock_timeout`: short, so a
/// lock whose owner is gone lapses quickly, never longer than `lock_timeout`.
pub(crate) fn lease_for(lock_timeout: Duration) -> Duration {
    lock_timeout.min(MAX_LEASE).max(Duration::from_millis(3))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

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
///
/// When the reply is lost (the call failed), the `SET` may still run on the server
/// later: a compare-and-delete with the same token follows it in the background, so
/// the lock does not outlive the stall.
pub(crate) async fn try_acquire(
    backend: &RedisBackend,
    lock: &str,
    token: &str,
    ttl: Duration,
) -> StoreResult<bool> {
    let set: StoreResult<Option<String>> = backend
        .query(
            redis::cmd("SET")
                .arg(lock)
                .arg(token)
                .arg("NX")
                .arg("PX")
                .arg(millis(ttl)),
        )
        .await;
    match set {
        Ok(set) => Ok(set.is_some()),
        Err(e) => {
            release_orphan(backend, lock, token);
            Err(e)
        }
    }
}

/// Sends, in the background, the compare-and-delete of a lock whose acquire reply was
/// lost. Plain `EVAL` (not `EVALSHA`): it must not depend on the script cache of a
/// server that may have restarted.
fn release_orphan(backend: &RedisBackend, lock: &str, token: &str) {
    let (backend, lock, token) = (backend.clone(), lock.to_owned(), token.to_owned());
    spawn_on_backend(async move {
        let mut eval = redis::cmd("EVAL");
        eval.arg(RELEASE_SRC).arg(1).arg(&lock).arg(&token);
        if let Err(error) = backend.query::<i64>(&eval).await {
            tracing::debug!(%error, lock, "cache_lock_orphan_release_failed");
        }
    });
}

/// Extends `lock` to `lease` if `token` still owns it; false when it does not (the lease
/// lapsed, or another caller holds it now).
async fn renew(
    backend: &RedisBackend,
    lock: &str,
    token: &str,
    lease: Duration,
) -> StoreResult<bool> {
    let renewed: i64 = backend
        .run(|mut c| async move {
            RENEW
                .key(lock)
                .arg(token)
                .arg(millis(lease))
                .invoke_async(&mut c)
                .await
        })
        .await?;
    Ok(renewed == 1)
}

/// Renews a held lock every third of its lease until dropped (dropping it stops the
/// renewals; the lock itself is released by its owner). When a renewal finds the lock
/// gone or held by another token, `on_lost` runs once and the renewals stop.
pub(crate) struct Watchdog {
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Watchdog {
    /// Starts renewing `lock` (owned by `token`) on the backend's runtime.
    pub(super) fn start(
        backend: &RedisBackend,
        lock: String,
        token: String,
        lease: Duration,
        on_lost: impl FnOnce() + Send + 'static,
    ) -> Self {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let backend = backend.clone();
        spawn_on_backend(async move {
            let every = lease / 3;
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(every) => {}
                }
                match renew(&backend, &lock, &token, lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        // A renewal that crossed the owner's release is not a loss.
                        if matches!(
                            stopped.try_recv(),
                            Err(tokio::sync::oneshot::error::TryRecvError::Empty)
                        ) {
                            on_lost();
                        }
                        return;
                    }
                    // Redis did not answer: try again next time; if the lease lapses
                    // meanwhile, the next renewal reports the loss.
                    Err(_) => {}
                }
            }
        });
        Self { _stop: stop }
    }
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
/// the deadline when there is one.
pub(crate) struct Backoff {
    next: Duration,
    deadline: Option<Instant>,
}

impl Backoff {
    pub(super) fn until(deadline: Instant) -> Self {
        Self {
            next: Duration::from_millis(2),
            deadline: Some(deadline),
        }
    }

    /// A backoff without deadline, for waiters whose wait ends with the lock they follow
    /// (its lease lapses within [`MAX_LEASE`] once nobody renews it).
    pub(super) fn following_lock() -> Self {
        Self {
            next: Duration::from_millis(2),
            deadline: None,
        }
    }

    /// Sleeps the next step; false once the deadline has passed.
    pub(super) async fn wait(&mut self) -> bool {
        let now = Instant::now();
        let left = self
            .deadline
            .map_or(Duration::MAX, |d| d.saturating_duration_since(now));
        if left.is_zero() {
            return false;
        }
        let jitter = Duration::from_micros(RandomState::new().build_hasher().finish() % 1_000);
        let step = (self.next + jitter).min(left);
        tokio::time::sleep(step).await;
        self.next = (self.next * 2).min(Duration::from_millis(50));
        true
    }
}
