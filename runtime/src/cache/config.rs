//! What a cache is told when it is built: its name and its time policy.

use super::expiry::{jittered, Lifetime};
use std::time::Duration;

/// The settings of one cache, as `#[cached(...)]` writes them.
///
/// ```
/// use memotrace::cache::CacheConfig;
/// use std::time::Duration;
///
/// let config = CacheConfig::new("reports::daily")
///     .ttl(Duration::from_secs(600))
///     .max_capacity(1_000)
///     .refresh_ahead(0.8);
/// assert_eq!(config.max_capacity, 1_000);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CacheConfig {
    /// Name in stats, logs and the registry.
    pub name: &'static str,
    /// Time to live; `None`: no expiry.
    pub ttl: Option<Duration>,
    /// Time to idle (served by the moka engine).
    pub tti: Option<Duration>,
    /// Entries held in memory.
    pub max_capacity: u64,
    /// Fraction of the ttl after which a hit refreshes the entry in the background.
    pub refresh_ahead: Option<f64>,
    /// How long past its ttl an entry may be served when the loader fails.
    pub stale_if_error: Option<Duration>,
    /// Key prefix for shared stores.
    pub namespace: Option<&'static str>,
    /// Key schema version for shared stores.
    pub version: Option<u32>,
    /// Whether entries carry tags.
    pub tagged: bool,
    /// Spread of each entry's ttl, as a fraction (0.1: ±10 %).
    pub ttl_jitter: Option<f64>,
    /// Whether values get their own lifetime (`ttl = |value| ..`, `expires = true`).
    pub per_entry_ttl: bool,
    /// How long after its ttl an entry is still answered at once while one caller
    /// reloads it in the background.
    pub stale_while_revalidate: Option<Duration>,
    /// After a failed load answered by a stale value (`stale_if_error`), how long that
    /// value keeps answering before the loader is called again; `None`: a tenth of the
    /// ttl, at most 30 s.
    pub fail_safe_throttle: Option<Duration>,
    /// Tiered: while the invalidation channel has not proved live for this long, L1 is
    /// not served (see [`TieredCache`](super::redis::TieredCache)).
    pub max_staleness: Option<Duration>,
    /// The soft timeout: when a stale value is held (`stale_if_error`) and the load takes
    /// longer than this, the call answers the stale value and the load goes on in the
    /// background.
    pub timeout: Option<Duration>,
}

/// The default number of entries a cache holds: never unbounded by default.
pub const DEFAULT_MAX_CAPACITY: u64 = 10_000;

impl CacheConfig {
    /// A config with no expiry and [`DEFAULT_MAX_CAPACITY`] entries.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            ttl: None,
            tti: None,
            max_capacity: DEFAULT_MAX_CAPACITY,
            refresh_ahead: None,
            stale_if_error: None,
            namespace: None,
            version: None,
            tagged: false,
            ttl_jitter: None,
            per_entry_ttl: false,
            stale_while_revalidate: None,
            fail_safe_throttle: None,
            max_staleness: None,
            timeout: None,
        }
    }

    /// Sets the time to live.
    #[must_use]
    pub const fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Sets the time to idle.
    #[must_use]
    pub const fn tti(mut self, tti: Duration) -> Self {
        self.tti = Some(tti);
        self
    }

    /// Sets the number of entries held.
    #[must_use]
    pub const fn max_capacity(mut self, max_capacity: u64) -> Self {
        self.max_capacity = max_capacity;
        self
    }

    /// Refreshes entries in the background once `ratio` of their ttl has passed.
    #[must_use]
    pub const fn refresh_ahead(mut self, ratio: f64) -> Self {
        self.refresh_ahead = Some(ratio);
        self
    }

    /// Serves expired entries for up to `window` when the loader fails.
    #[must_use]
    pub const fn stale_if_error(mut self, window: Duration) -> Self {
        self.stale_if_error = Some(window);
        self
    }

    /// Sets the key prefix `namespace:v{version}`.
    #[must_use]
    pub const fn namespace(mut self, namespace: &'static str) -> Self {
        self.namespace = Some(namespace);
        self
    }

    /// Sets the key schema version.
    #[must_use]
    pub const fn version(mut self, version: u32) -> Self {
        self.version = Some(version);
        self
    }

    /// Marks the cache's entries as tagged, so `invalidate_tag` can find them.
    #[must_use]
    pub const fn tagged(mut self) -> Self {
        self.tagged = true;
        self
    }

    /// Spreads each entry's ttl by ±`fraction` (0.1: ±10 %), so that entries written
    /// together do not expire together.
    #[must_use]
    pub const fn ttl_jitter(mut self, fraction: f64) -> Self {
        self.ttl_jitter = Some(fraction);
        self
    }

    /// Marks the cache's values as carrying their own lifetime (see
    /// [`Expires`](super::Expires)): entries expire even without a `ttl`.
    #[must_use]
    pub const fn per_entry_ttl(mut self) -> Self {
        self.per_entry_ttl = true;
        self
    }

    /// After its ttl, an entry is answered for `window` more while one caller reloads it
    /// in the background (`stale_if_error` then counts from the end of the window).
    #[must_use]
    pub const fn stale_while_revalidate(mut self, window: Duration) -> Self {
        self.stale_while_revalidate = Some(window);
        self
    }

    /// After a failed load answered by a stale value, that value answers for `pause`
    /// without calling the loader (default: a tenth of the ttl, at most 30 s).
    #[must_use]
    pub const fn fail_safe_throttle(mut self, pause: Duration) -> Self {
        self.fail_safe_throttle = Some(pause);
        self
    }

    /// Tiered: bounds how stale an L1 answer may be while the invalidation channel is
    /// down; L1 is not served once the channel has not proved live for `bound`.
    #[must_use]
    pub const fn max_staleness(mut self, bound: Duration) -> Self {
        self.max_staleness = Some(bound);
        self
    }

    /// When a stale value is held and the load takes longer than `limit`, the call
    /// answers the stale value; the load goes on in the background and stores its value
    /// when it lands.
    #[must_use]
    pub const fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    pub(crate) fn timing(&self) -> Timing {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Timing {
            ttl: self.ttl.map(ms),
            refresh_ratio: self.refresh_ahead,
            stale_for: self.stale_if_error.map_or(0, ms),
            jitter: self.ttl_jitter.unwrap_or(0.0),
            per_entry: self.per_entry_ttl,
            revalidate: self.stale_while_revalidate.map_or(0, ms),
            throttle: self.fail_safe_throttle.map_or_else(
                || {
                    self.ttl
                        .map_or(0, |t| (ms(t) / 10).min(MAX_DEFAULT_THROTTLE_MS))
                },
                ms,
            ),
        }
    }
}

/// The time policy in milliseconds (of the coarse clock for memory entries, of the Unix
/// clock for Redis entries).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub ttl: Option<u64>,
    pub refresh_ratio: Option<f64>,
    pub stale_for: u64,
    pub jitter: f64,
    pub per_entry: bool,
    /// The stale-while-revalidate window.
    pub revalidate: u64,
    /// The fail-safe throttle.
    pub throttle: u64,
}

/// The longest default fail-safe throttle: a backend that recovers is used again within
/// this long whatever the ttl.
const MAX_DEFAULT_THROTTLE_MS: u64 = 30_000;

/// When an entry stored now stops being fresh, comes due for refresh, and dies
/// (`u64::MAX`: never).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Times {
    pub expires: u64,
    pub refresh: u64,
    pub stale_until: u64,
}

/// A stored value with the times that decide what a lookup does with it.
#[derive(Clone, Debug)]
pub struct Entry<V> {
    pub(crate) value: V,
    /// Fresh while `now < expires_at`.
    pub(crate) expires_at: u64,
    /// A hit at or after this time refreshes in the background (once: set to `MAX` when
    /// claimed).
    pub(crate) refresh_at: u64,
    /// May be served after a failed load while `now < stale_until`; dead after.
    pub(crate) stale_until: u64,
}

impl Timing {
    /// Whether entries can expire (a ttl, or lifetimes of their own).
    pub(crate) fn expiring(&self) -> bool {
        self.ttl.is_some() || self.per_entry
    }

    /// The times of an entry stored at `now` with `lifetime`: its own lifetime capped by
    /// the ttl, or the ttl spread by the jitter; refresh-ahead as a fraction of that. With a
    /// stale-while-revalidate window the entry stays servable for the window after its
    /// ttl and comes due for a background refresh at the ttl at the latest: a hit in the
    /// window answers at once and claims the one refresh, as refresh-ahead does.
    pub(crate) fn times(&self, now: u64, lifetime: Lifetime) -> Times {
        let ttl = match lifetime {
            // Only the fixed ttl is spread: a lifetime the value gives itself is exact.
            Lifetime::Default => self.ttl.map(|t| jittered(t, self.jitter)),
            Lifetime::Ms(ms) => Some(self.ttl.map_or(ms, |t| t.min(ms))),
            Lifetime::Skip => Some(0),
        };
        let after = |d: Option<u64>| d.map_or(u64::MAX, |d| now.saturating_add(d));
        let expires = after(ttl.map(|t| t.saturating_add(self.revalidate)));
        let ahead = after(
            ttl.zip(self.refresh_ratio)
                .map(|(t, r)| (t as f64 * r) as u64),
        );
        let refresh = if self.revalidate > 0 {
            ahead.min(after(ttl))
        } else {
            ahead
        };
        Times {
            expires,
            refresh,
            stale_until: expires.saturating_add(self.stale_for),
        }
    }

    /// After a failed load at `now`, the stale value's new expiry: it answers as fresh
    /// for the fail-safe throttle (never past `stale_until`), so the loader is not called
    /// again meanwhile.
    pub(crate) fn throttled_until(&self, now: u64, stale_until: u64) -> u64 {
        now.saturating_add(self.throttle).min(stale_until)
    }

    /// Marks `stale` (served at `now` instead of a fresh value) as answering for the
    /// fail-safe throttle, with no refresh of its own.
    pub(crate) fn fail_safe<V>(&self, stale: &mut Entry<V>, now: u64) {
        stale.expires_at = self.throttled_until(now, stale.stale_until);
        stale.refresh_at = u64::MAX;
    }

    pub(crate) fn entry<V>(&self, value: V, now: u64, lifetime: Lifetime) -> Entry<V> {
        let times = self.times(now, lifetime);
        Entry {
            value,
            expires_at: times.expires,
            refresh_at: times.refresh,
            stale_until: times.stale_until,
        }
    }
}

impl<V> Entry<V> {
    #[inline]
    pub(crate) fn is_fresh(&self, now: u64) -> bool {
        now < self.expires_at
    }

    /// Marks a stale entry as answering while a load of its key goes on in the
    /// background after the soft timeout: as fresh until the load lands (never past
    /// `stale_until`), with no refresh of its own, so no call starts a second load
    /// meanwhile.
    pub(crate) fn answer_while_loading(&mut self) {
        self.expires_at = self.stale_until;
        self.refresh_at = u64::MAX;
    }
}
