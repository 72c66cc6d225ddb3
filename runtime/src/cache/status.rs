//! How one call of a cached fn was answered, for `{fn}_with_status(..)`.

/// How a call was answered: what `{fn}_with_status(args..)` returns beside the value.
///
/// ```
/// use memotrace::cache::CacheStatus;
///
/// #[memotrace::cached]
/// fn square(x: u64) -> u64 { x * x }
///
/// assert_eq!(square_with_status(3), (9, CacheStatus::Miss));
/// assert_eq!(square_with_status(3), (9, CacheStatus::Hit));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CacheStatus {
    /// Answered from the cache, also after waiting for another caller's load of the
    /// same key, and also when the hit started a background refresh (`refresh_ahead`).
    Hit,
    /// This call ran the fn (its result was stored, unless `unless`, `Err` or `None`
    /// kept it out).
    Miss,
    /// The fn failed, or took longer than the soft `timeout`, and the call was answered
    /// with an expired value (`stale_if_error`).
    Stale,
    /// The cache was skipped: `when` was false.
    Bypassed,
}

impl CacheStatus {
    /// Whether the value came from the cache (`Hit` or `Stale`).
    pub fn from_cache(self) -> bool {
        matches!(self, Self::Hit | Self::Stale)
    }
}
