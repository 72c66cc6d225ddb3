//! What a cache is told when it is built: its name and its time policy.

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

    pub(crate) fn timing(&self) -> Timing {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let ttl = self.ttl.map(ms);
        Timing {
            ttl,
            refresh_after: ttl
                .zip(self.refresh_ahead)
                .map(|(t, r)| (t as f64 * r) as u64),
            stale_for: self.stale_if_error.map_or(0, ms),
        }
    }
}

/// The time policy in coarse-clock milliseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub ttl: Option<u64>,
    pub refresh_after: Option<u64>,
    pub stale_for: u64,
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
    pub(crate) fn needs_clock(&self) -> bool {
        self.ttl.is_some()
    }

    pub(crate) fn entry<V>(&self, value: V, now: u64) -> Entry<V> {
        let after = |d: Option<u64>| d.map_or(u64::MAX, |d| now.saturating_add(d));
        let expires_at = after(self.ttl);
        Entry {
            value,
            expires_at,
            refresh_at: after(self.refresh_after),
            stale_until: expires_at.saturating_add(self.stale_for),
        }
    }
}

impl<V> Entry<V> {
    #[inline]
    pub(crate) fn is_fresh(&self, now: u64) -> bool {
        now < self.expires_at
    }
}
