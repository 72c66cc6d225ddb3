//! Per-entry expiry: a value's own lifetime (`ttl = |value| ..` or [`Expires`]) and the
//! spread of expiries (`ttl_jitter`).
//!
//! The lifetime is decided once, when a loaded value is stored; a hit only compares the
//! stored expiry with the clock, as for a fixed ttl, so it costs the same.

use super::outcome::{Outcome, ResultAll, ReturnKind};
use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, SystemTime};

/// A value that carries its own lifetime: tokens, signed URLs, API responses with a
/// `max-age`. With `#[cached(expires = true)]` each value is kept until the time it
/// names.
///
/// The time is a wall-clock [`SystemTime`] because such values usually come with one
/// (a token's `exp`, an HTTP `Expires`) and because entries in Redis are shared between
/// processes, where a process-local `Instant` means nothing.
///
/// ```
/// use memotrace::cache::Expires;
/// use std::time::{Duration, SystemTime};
///
/// #[derive(Clone)]
/// struct Token { secret: String, valid_until: SystemTime }
///
/// impl Expires for Token {
///     fn expires_at(&self) -> Option<SystemTime> {
///         Some(self.valid_until)
///     }
/// }
///
/// #[memotrace::cached(expires = true)]
/// fn token(user: u64) -> Token {
///     Token { secret: format!("t{user}"), valid_until: SystemTime::now() + Duration::from_secs(60) }
/// }
/// # assert_eq!(token(1).secret, "t1");
/// ```
#[diagnostic::on_unimplemented(
    message = "`expires = true` needs the cached value `{Self}` to implement `memotrace::cache::Expires`",
    label = "the value type of this cache"
)]
pub trait Expires {
    /// When the value stops being valid. A time already past means "do not cache";
    /// `None` means the value does not say: the cache's `ttl` applies (no expiry
    /// without one). When the cache also has a `ttl`, it is the upper bound.
    fn expires_at(&self) -> Option<SystemTime>;
}

/// A cached `None` (`cache_none = true`) does not say; a `Some` says what its value says.
impl<T: Expires> Expires for Option<T> {
    fn expires_at(&self) -> Option<SystemTime> {
        self.as_ref().and_then(Expires::expires_at)
    }
}

/// How long one loaded value is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// The cache's ttl (no expiry without one).
    Default,
    /// This many milliseconds, capped by the cache's ttl when it has one.
    Ms(u64),
    /// Not stored.
    Skip,
}

/// What a `ttl = |value| ..` closure returns: a [`Duration`], or an
/// `Option<Duration>` whose `None` means "do not cache".
#[diagnostic::on_unimplemented(
    message = "`ttl = |value| ..` must return a `Duration` or an `Option<Duration>` (`None`: do not cache), not `{Self}`",
    label = "returns `{Self}`"
)]
pub trait IntoLifetime {
    /// The lifetime this value stands for; a zero duration is "do not cache".
    fn into_lifetime(self) -> Lifetime;
}

impl IntoLifetime for Duration {
    fn into_lifetime(self) -> Lifetime {
        match u64::try_from(self.as_millis()).unwrap_or(u64::MAX) {
            0 => Lifetime::Skip,
            ms => Lifetime::Ms(ms),
        }
    }
}

impl IntoLifetime for Option<Duration> {
    fn into_lifetime(self) -> Lifetime {
        self.map_or(Lifetime::Skip, IntoLifetime::into_lifetime)
    }
}

/// A rule giving each value its lifetime: a `ttl = |value| ..` closure, or [`OwnExpiry`].
#[diagnostic::on_unimplemented(
    message = "`expires = true` needs the cached value `{V}` to implement `memotrace::cache::Expires`",
    label = "`{V}` does not implement `memotrace::cache::Expires`"
)]
pub trait LifetimeOf<V>: Copy + Send + 'static {
    /// The lifetime of `value`, stored now.
    fn lifetime_of(&self, value: &V) -> Lifetime;
}

impl<V, F, L> LifetimeOf<V> for F
where
    F: Fn(&V) -> L + Copy + Send + 'static,
    L: IntoLifetime,
{
    fn lifetime_of(&self, value: &V) -> Lifetime {
        self(value).into_lifetime()
    }
}

/// `expires = true`: each value's [`Expires::expires_at`].
#[derive(Clone, Copy, Debug)]
pub struct OwnExpiry;

impl<V: Expires> LifetimeOf<V> for OwnExpiry {
    fn lifetime_of(&self, value: &V) -> Lifetime {
        let Some(at) = value.expires_at() else {
            return Lifetime::Default;
        };
        match at.duration_since(SystemTime::now()) {
            // Rounded up: a value valid for 0.4 ms more is still kept, for 1 ms.
            Ok(left) if !left.is_zero() => {
                Lifetime::Ms(u64::try_from(left.as_micros().div_ceil(1_000)).unwrap_or(u64::MAX))
            }
            _ => Lifetime::Skip,
        }
    }
}

/// `cache_err = true, err_ttl = ".."`: a cached `Err` lives this many ms, an `Ok` the
/// cache's ttl.
#[derive(Clone, Copy, Debug)]
pub struct ErrTtl(u64);

impl<T, E> LifetimeOf<Result<T, E>> for ErrTtl {
    fn lifetime_of(&self, value: &Result<T, E>) -> Lifetime {
        match value {
            Ok(_) => Lifetime::Default,
            Err(_) => Lifetime::Ms(self.0),
        }
    }
}

/// `cache_err = true, err_ttl = ".."` (`ms`).
pub fn err_ttl(ms: u64) -> PerEntry<ResultAll, ErrTtl> {
    PerEntry {
        kind: ResultAll,
        rule: ErrTtl(ms),
    }
}

/// A return kind whose stored values get their own lifetime from `rule`; a value whose
/// lifetime is [`Lifetime::Skip`] is passed through without being stored.
#[derive(Clone, Copy, Debug)]
pub struct PerEntry<A, F> {
    kind: A,
    rule: F,
}

/// `ttl = |value| ..`: the closure's signature is fixed here, so `value` needs no type.
/// Its return type is checked where the result is used as a [`ReturnKind`] (once, in
/// the expansion), not here: a closure returning the wrong type is one error.
pub fn per_entry<R, A, F, L>(kind: A, rule: F) -> PerEntry<A, F>
where
    A: ReturnKind<R>,
    F: Fn(&A::Value) -> L + Copy + Send + 'static,
{
    PerEntry { kind, rule }
}

/// `expires = true`. `A::Value: Expires` is checked where the result is used as a
/// [`ReturnKind`] (once, in the expansion), as for [`per_entry`].
pub fn own_expiry<R, A>(kind: A) -> PerEntry<A, OwnExpiry>
where
    A: ReturnKind<R>,
{
    PerEntry {
        kind,
        rule: OwnExpiry,
    }
}

impl<R, A, F> ReturnKind<R> for PerEntry<A, F>
where
    A: ReturnKind<R>,
    F: LifetimeOf<A::Value>,
{
    type Value = A::Value;

    fn classify(self, returned: &R) -> Outcome<A::Value> {
        match self.kind.classify(returned) {
            Outcome::Value(value) if self.rule.lifetime_of(&value) == Lifetime::Skip => {
                Outcome::Skip
            }
            other => other,
        }
    }

    #[inline]
    fn wrap(self, value: A::Value) -> R {
        self.kind.wrap(value)
    }

    #[inline]
    fn failed(self, returned: &R) -> bool {
        self.kind.failed(returned)
    }

    fn lifetime(self, value: &A::Value) -> Lifetime {
        self.rule.lifetime_of(value)
    }
}

/// A value taken from Redis into the tiered L1, which keeps it no longer than its Redis
/// entry is fresh: until this Unix time in ms (`u64::MAX`: the L1's own ttl).
#[cfg(feature = "redis")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct UntilUnixMs(pub(crate) u64);

#[cfg(feature = "redis")]
impl<V: Clone + Send + Sync + 'static> ReturnKind<V> for UntilUnixMs {
    type Value = V;

    fn classify(self, returned: &V) -> Outcome<V> {
        Outcome::Value(returned.clone())
    }

    fn wrap(self, value: V) -> V {
        value
    }

    fn lifetime(self, _value: &V) -> Lifetime {
        if self.0 == u64::MAX {
            return Lifetime::Default;
        }
        match self.0.saturating_sub(super::redis::codec::unix_ms()) {
            0 => Lifetime::Skip,
            left => Lifetime::Ms(left),
        }
    }
}

/// `ttl` spread by ±`fraction` (uniformly), at least 1 ms.
pub(crate) fn jittered(ttl: u64, fraction: f64) -> u64 {
    if fraction <= 0.0 {
        return ttl;
    }
    // In [-1, 1).
    let unit = (next_random() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
    let spread = ttl as f64 * fraction * unit;
    ((ttl as f64 + spread).round() as u64).max(1)
}

/// xorshift64*, one state per thread seeded from the std hasher's random keys: spreading
/// expiries needs no cryptographic randomness, only no lock and no pattern across threads.
fn next_random() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(std::thread::current().id()) | 1);
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::outcome::{OkOnly, Plain};

    #[test]
    fn jitter_stays_within_its_bounds_and_spreads() {
        let samples: Vec<u64> = (0..10_000).map(|_| jittered(1_000, 0.1)).collect();
        let (min, max) = (samples.iter().min().unwrap(), samples.iter().max().unwrap());
        assert!(*min >= 900 && *max <= 1_100, "outside ±10 %: {min}..{max}");
        assert!(*min < 920 && *max > 1_080, "not spread: {min}..{max}");
        let mean = samples.iter().sum::<u64>() as f64 / samples.len() as f64;
        assert!((mean - 1_000.0).abs() < 10.0, "biased: mean {mean}");
        assert_eq!(jittered(1_000, 0.0), 1_000);
        assert!(
            (0..1_000).all(|_| jittered(1, 0.99) >= 1),
            "never below 1 ms"
        );
    }

    #[test]
    fn only_the_fixed_ttl_is_jittered() {
        let timing = crate::cache::CacheConfig::new("t")
            .ttl(Duration::from_secs(1))
            .ttl_jitter(0.5)
            .timing();
        assert!((0..1_000).all(|_| timing.times(0, Lifetime::Ms(300)).expires == 300));
        let spread: Vec<u64> = (0..1_000)
            .map(|_| timing.times(0, Lifetime::Default).expires)
            .collect();
        assert!(spread.iter().all(|e| (500..=1_500).contains(e)));
        assert!(spread.iter().any(|e| *e != spread[0]), "spread");
    }

    #[test]
    fn closures_and_own_expiry_give_lifetimes() {
        let ttl = per_entry::<u64, _, _, _>(Plain, |v: &u64| Duration::from_millis(*v));
        assert_eq!(ReturnKind::<u64>::lifetime(ttl, &250), Lifetime::Ms(250));
        assert!(
            matches!(ReturnKind::<u64>::classify(ttl, &0), Outcome::Skip),
            "zero: not cached"
        );
        let maybe = per_entry::<Result<u64, ()>, _, _, _>(OkOnly, |v: &u64| {
            (*v > 0).then(|| Duration::from_secs(*v))
        });
        assert!(
            matches!(
                ReturnKind::<Result<u64, ()>>::classify(maybe, &Ok(0)),
                Outcome::Skip
            ),
            "None: not cached"
        );
        assert!(matches!(
            ReturnKind::<Result<u64, ()>>::classify(maybe, &Ok(2)),
            Outcome::Value(2)
        ));
        assert!(matches!(
            ReturnKind::<Result<u64, ()>>::classify(maybe, &Err(())),
            Outcome::Error
        ));

        struct Until(Option<SystemTime>);
        impl Expires for Until {
            fn expires_at(&self) -> Option<SystemTime> {
                self.0
            }
        }
        let now = SystemTime::now();
        assert_eq!(OwnExpiry.lifetime_of(&Until(None)), Lifetime::Default);
        assert_eq!(
            OwnExpiry.lifetime_of(&Until(Some(now - Duration::from_secs(1)))),
            Lifetime::Skip
        );
        let Lifetime::Ms(ms) = OwnExpiry.lifetime_of(&Until(Some(now + Duration::from_secs(5))))
        else {
            panic!("a future expiry is a lifetime");
        };
        assert!((4_900..=5_000).contains(&ms), "{ms}");
    }
}
