//! A cached call from its lookup to its answer, generic over the store: the steps every
//! `#[cached]` expansion takes, written once here so that an expansion is two calls
//! (`fresh`, then `load*`) rather than its own match. The `*_async` forms serve async
//! fns; the plain ones sync fns.

use super::contract::CacheStore;
use super::memory::Lookup;
use super::outcome::ReturnKind;
use super::status::CacheStatus;
use std::future::Future;

/// What a lookup leaves to answer: a fresh value, or the right to load.
pub(crate) type Settled<R, C> = Result<(R, CacheStatus), <C as CacheStore>::Load>;

/// Answers a fresh value as a hit (after handing a claimed refresh to `refresh`), or
/// hands back the right to load. `refresh` is `drop` when the fn does not refresh
/// entries in the background; `_cache` names the store the lookup came from.
#[inline]
pub fn fresh<C, A, R>(
    _cache: &'static C,
    lookup: Lookup<C::Value, C::Refresh, C::Load>,
    kind: A,
    refresh: impl FnOnce(C::Refresh),
) -> Settled<R, C>
where
    C: CacheStore,
    A: ReturnKind<R, Value = C::Value>,
{
    match lookup {
        Lookup::Hit(value) => Ok((kind.wrap(value), CacheStatus::Hit)),
        Lookup::Refresh(value, claimed) => {
            refresh(claimed);
            Ok((kind.wrap(value), CacheStatus::Hit))
        }
        Lookup::Load(load) => Err(load),
    }
}

/// The answer of a sync call: the fresh value, or what `loader` returns (the entry's
/// tags, then the fn's value), stored unless `skip_if` says not to.
#[inline]
pub fn load<C, A, R>(
    cache: &'static C,
    settled: Settled<R, C>,
    kind: A,
    loader: impl FnOnce() -> (Vec<String>, R),
    skip_if: impl FnOnce(&C::Value) -> bool,
) -> (R, CacheStatus)
where
    C: CacheStore,
    A: ReturnKind<R, Value = C::Value>,
{
    match settled {
        Ok(answer) => answer,
        Err(load) => {
            let (tags, returned) = loader();
            let failed = kind.failed(&returned);
            let answer = cache.complete(load, kind, returned, skip_if, tags);
            loaded(kind, failed, answer)
        }
    }
}

/// [`load`] for async fns: `loader` answers the tags and the fn's future.
pub async fn load_async<C, A, R, F>(
    cache: &'static C,
    settled: Settled<R, C>,
    kind: A,
    loader: impl FnOnce() -> (Vec<String>, F),
    skip_if: impl FnOnce(&C::Value) -> bool,
) -> (R, CacheStatus)
where
    C: CacheStore,
    A: ReturnKind<R, Value = C::Value>,
    F: Future<Output = R>,
{
    match settled {
        Ok(answer) => answer,
        Err(load) => {
            let (tags, returned) = loader();
            let returned = returned.await;
            let failed = kind.failed(&returned);
            let answer = cache
                .complete_async(load, kind, returned, skip_if, tags)
                .await;
            loaded(kind, failed, answer)
        }
    }
}

/// [`load_async`] with a soft `timeout`: the fn's future owns what it needs, so that it
/// can finish in the background once the call has answered the stale value.
pub async fn load_or_stale<C, A, R, F>(
    cache: &'static C,
    settled: Settled<R, C>,
    kind: A,
    loader: impl FnOnce() -> (Vec<String>, F),
    skip_if: impl FnOnce(&C::Value) -> bool + Send + 'static,
) -> (R, CacheStatus)
where
    C: CacheStore,
    A: ReturnKind<R, Value = C::Value>,
    R: Send + 'static,
    F: Future<Output = R> + Send + 'static,
{
    match settled {
        Ok(answer) => answer,
        Err(load) => {
            let (tags, returned) = loader();
            cache
                .load_or_stale(load, kind, returned, skip_if, tags)
                .await
        }
    }
}

/// A load's status: `Stale` when the fn failed and the call was answered with an
/// expired value anyway, else `Miss`.
#[inline]
fn loaded<A: ReturnKind<R>, R>(kind: A, failed: bool, answer: R) -> (R, CacheStatus) {
    let status = if failed && !kind.failed(&answer) {
        CacheStatus::Stale
    } else {
        CacheStatus::Miss
    };
    (answer, status)
}
