//! A cached call from its lookup to its answer, generic over the store: the steps every
//! `#[cached]` expansion takes, written once here so that an expansion is a lookup,
//! [`fresh`], and on a miss the fn's call handed to [`finish`] (sync) or
//! [`finish_async`]. None of them takes a closure of the expansion's own unless the fn
//! has one (`unless`, a refresh), so one instance serves every fn of the same types.

use super::contract::CacheStore;
use super::memory::Lookup;
use super::outcome::ReturnKind;
use super::status::CacheStatus;

/// Answers a fresh value as a hit (after handing a claimed refresh to `refresh`), or
/// hands back the right to load. `refresh` is `drop` when the fn does not refresh
/// entries in the background; `_cache` names the store the lookup came from.
#[inline]
pub fn fresh<C, A, R>(
    _cache: &'static C,
    lookup: Lookup<C::Value, C::Refresh, C::Load>,
    kind: A,
    refresh: impl FnOnce(C::Refresh),
) -> Result<(R, CacheStatus), C::Load>
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

/// Completes a sync call's load with what the fn returned (`tags` rendered before the
/// call): stores it unless `skip_if` says not to, and answers it with its status.
#[inline]
pub fn finish<C, A, R>(
    cache: &'static C,
    load: C::Load,
    kind: A,
    tags: Vec<String>,
    returned: R,
    skip_if: impl FnOnce(&C::Value) -> bool,
) -> (R, CacheStatus)
where
    C: CacheStore,
    A: ReturnKind<R, Value = C::Value>,
{
    let failed = kind.failed(&returned);
    let answer = cache.complete(load, kind, returned, skip_if, tags);
    loaded(kind, failed, answer)
}

/// [`finish`] for async fns.
pub async fn finish_async<C, A, R>(
    cache: &'static C,
    load: C::Load,
    kind: A,
    tags: Vec<String>,
    returned: R,
    skip_if: impl FnOnce(&C::Value) -> bool,
) -> (R, CacheStatus)
where
    C: CacheStore,
    A: ReturnKind<R, Value = C::Value>,
{
    let failed = kind.failed(&returned);
    let answer = cache
        .complete_async(load, kind, returned, skip_if, tags)
        .await;
    loaded(kind, failed, answer)
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
