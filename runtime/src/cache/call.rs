//! A cached call after a miss, generic over the store: the fn's value handed to
//! [`finish`] (sync) or [`finish_async`] is stored and answered with its status. Neither
//! takes a closure of the expansion's own unless the fn has one (`unless`), so one
//! instance serves every fn of the same types.

use super::contract::CacheStore;
use super::outcome::ReturnKind;
use super::status::CacheStatus;

/// Completes a sync call's load with what the fn returned (`tags` rendered before the
/// call): stores it unless `skip_if` says not to, answers it, and sets `status`.
#[inline]
pub fn finish<C, A, R>(
    cache: &'static C,
    load: C::Load,
    kind: A,
    tags: Vec<String>,
    returned: R,
    skip_if: impl FnOnce(&C::Value) -> bool,
    status: &mut CacheStatus,
) -> R
where
    C: CacheStore,
    A: ReturnKind<R, Value = C::Value>,
{
    let failed = kind.failed(&returned);
    let answer = cache.complete(load, kind, returned, skip_if, tags);
    *status = loaded(kind, failed, &answer);
    answer
}

/// [`finish`] for async fns.
pub async fn finish_async<C, A, R>(
    cache: &'static C,
    load: C::Load,
    kind: A,
    tags: Vec<String>,
    returned: R,
    skip_if: impl FnOnce(&C::Value) -> bool,
    status: &mut CacheStatus,
) -> R
where
    C: CacheStore,
    A: ReturnKind<R, Value = C::Value>,
{
    let failed = kind.failed(&returned);
    let answer = cache
        .complete_async(load, kind, returned, skip_if, tags)
        .await;
    *status = loaded(kind, failed, &answer);
    answer
}

/// A load's status: `Stale` when the fn failed and the call was answered with an
/// expired value anyway, else `Miss`.
#[inline]
fn loaded<A: ReturnKind<R>, R>(kind: A, failed: bool, answer: &R) -> CacheStatus {
    if failed && !kind.failed(answer) {
        CacheStatus::Stale
    } else {
        CacheStatus::Miss
    }
}
