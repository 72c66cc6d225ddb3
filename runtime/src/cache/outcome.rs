//! What a function's return value means to its cache: which values are stored and which
//! are failures.

use super::expiry::Lifetime;

/// How a fresh return value is treated.
pub enum Outcome<V> {
    /// Store this value.
    Value(V),
    /// A failure (`Err`): counted, and `stale_if_error` may answer instead.
    Error,
    /// Not stored, not a failure (`None` without `cache_none`).
    Skip,
}

/// The link between a function's return type `R` and the value its cache holds.
///
/// The macro picks the implementor from the declared return type: [`Plain`],
/// [`OkOnly`] for `Result`, [`SomeOnly`] for `Option` and [`OptionAll`] for `Option`
/// with `cache_none = true`.
pub trait ReturnKind<R>: Copy + Send + 'static {
    /// The cached value.
    type Value: Clone + Send + Sync + 'static;

    /// Classifies a fresh return value, cloning what is to be stored.
    fn classify(self, returned: &R) -> Outcome<Self::Value>;

    /// Turns a cached value back into the return type.
    fn wrap(self, value: Self::Value) -> R;

    /// Whether `returned` is a failure ([`Outcome::Error`]), without cloning it.
    #[inline]
    fn failed(self, returned: &R) -> bool {
        matches!(self.classify(returned), Outcome::Error)
    }

    /// How long `value`, about to be stored, is kept: the cache's ttl unless the fn
    /// gives values their own lifetime (`ttl = |value| ..`, `expires = true`).
    #[inline]
    fn lifetime(self, _value: &Self::Value) -> Lifetime {
        Lifetime::Default
    }
}

/// Every value is cached.
#[derive(Clone, Copy, Debug)]
pub struct Plain;

/// `Result<T, E>`: `Ok` values are cached; `Err` is a failure.
#[derive(Clone, Copy, Debug)]
pub struct OkOnly;

/// `Result<T, E>` with `cache_err = true`: `Err` is cached too.
#[derive(Clone, Copy, Debug)]
pub struct ResultAll;

/// `Option<T>`: `Some` values are cached; `None` is passed through.
#[derive(Clone, Copy, Debug)]
pub struct SomeOnly;

/// `Option<T>` with `cache_none = true`: `None` is cached too.
#[derive(Clone, Copy, Debug)]
pub struct OptionAll;

impl<T: Clone + Send + Sync + 'static> ReturnKind<T> for Plain {
    type Value = T;

    fn classify(self, returned: &T) -> Outcome<T> {
        Outcome::Value(returned.clone())
    }

    fn wrap(self, value: T) -> T {
        value
    }

    #[inline]
    fn failed(self, _returned: &T) -> bool {
        false
    }
}

impl<T: Clone + Send + Sync + 'static, E> ReturnKind<Result<T, E>> for OkOnly {
    type Value = T;

    fn classify(self, returned: &Result<T, E>) -> Outcome<T> {
        match returned {
            Ok(value) => Outcome::Value(value.clone()),
            Err(_) => Outcome::Error,
        }
    }

    fn wrap(self, value: T) -> Result<T, E> {
        Ok(value)
    }

    #[inline]
    fn failed(self, returned: &Result<T, E>) -> bool {
        returned.is_err()
    }
}

impl<T, E> ReturnKind<Result<T, E>> for ResultAll
where
    T: Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    type Value = Result<T, E>;

    fn classify(self, returned: &Result<T, E>) -> Outcome<Result<T, E>> {
        Outcome::Value(returned.clone())
    }

    fn wrap(self, value: Result<T, E>) -> Result<T, E> {
        value
    }

    #[inline]
    fn failed(self, _returned: &Result<T, E>) -> bool {
        false
    }
}

impl<T: Clone + Send + Sync + 'static> ReturnKind<Option<T>> for SomeOnly {
    type Value = T;

    fn classify(self, returned: &Option<T>) -> Outcome<T> {
        returned
            .as_ref()
            .map_or(Outcome::Skip, |value| Outcome::Value(value.clone()))
    }

    fn wrap(self, value: T) -> Option<T> {
        Some(value)
    }

    #[inline]
    fn failed(self, _returned: &Option<T>) -> bool {
        false
    }
}

impl<T: Clone + Send + Sync + 'static> ReturnKind<Option<T>> for OptionAll {
    type Value = Option<T>;

    fn classify(self, returned: &Option<T>) -> Outcome<Option<T>> {
        Outcome::Value(returned.clone())
    }

    fn wrap(self, value: Option<T>) -> Option<T> {
        value
    }

    #[inline]
    fn failed(self, _returned: &Option<T>) -> bool {
        false
    }
}

/// The value type a cache of a function returning `R` holds.
pub type ValueOf<A, R> = <A as ReturnKind<R>>::Value;
