//! A cached call after a miss, generic over the store: the fn's value handed to
//! [`finish`] (sync) or [`finish_async`] is stored and answered. Neither takes a closure
//! of the expansion's own unless the fn has one (`unless`), so one instance serves every
//! fn of the same types.
//!
//! How a call was answered reaches `{fn}_with_status` without a parameter of the fn's:
//! the call reports every answer but a hit ([`answered`]) to the thread's status slot,
//! once it has answered (after the fn's body, which may make cached calls of its own),
//! and `{fn}_with_status` runs the fn in a scope ([`StatusScope`] / [`WithStatus`]) that
//! sets the slot to `Hit` and reads it back. A hit writes nothing: the hit path
//! pays nothing for the status.

use super::contract::CacheStore;
use super::outcome::ReturnKind;
use super::status::CacheStatus;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    /// How the last cached call on this thread that was not a hit was answered, inside
    /// a `{fn}_with_status` scope; read by the scope (outside one, nothing reads it).
    static ANSWERED: Cell<CacheStatus> = const { Cell::new(CacheStatus::Hit) };
}

/// Reports how a call that was not a hit was answered (`Miss`, `Stale`, `Bypassed`), to
/// the `{fn}_with_status` around it. Called once the call has its answer, so that it
/// overwrites what cached calls made by the fn's body reported.
#[inline]
pub fn answered(status: CacheStatus) {
    ANSWERED.set(status);
}

/// `{fn}_with_status` of a sync fn: the status slot set to `Hit` for the call of the fn
/// ([`StatusScope::enter`]) and read back ([`StatusScope::exit`]); restored when the
/// scope ends, also by unwinding.
pub struct StatusScope {
    outer: CacheStatus,
}

impl StatusScope {
    /// Opens the scope: a call in it that writes nothing was a hit.
    #[inline]
    pub fn enter() -> Self {
        Self::resume(CacheStatus::Hit)
    }

    fn resume(status: CacheStatus) -> Self {
        Self {
            outer: ANSWERED.replace(status),
        }
    }

    /// Closes the scope with how its call was answered.
    #[inline]
    pub fn exit(self) -> CacheStatus {
        ANSWERED.get()
    }
}

impl Drop for StatusScope {
    fn drop(&mut self) {
        ANSWERED.set(self.outer);
    }
}

pin_project_lite::pin_project! {
    /// `{fn}_with_status` of an async fn: polls the fn's future in a status scope (each
    /// poll, since the future may move between threads between polls) and answers its
    /// value with how the call was answered.
    pub struct WithStatus<F> {
        #[pin]
        call: F,
        status: CacheStatus,
    }
}

impl<F> WithStatus<F> {
    /// Wraps the future of one call of the fn.
    #[inline]
    pub fn new(call: F) -> Self {
        Self {
            call,
            status: CacheStatus::Hit,
        }
    }
}

impl<F: Future> Future for WithStatus<F> {
    type Output = (F::Output, CacheStatus);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let scope = StatusScope::resume(*this.status);
        let polled = this.call.poll(cx);
        *this.status = scope.exit();
        polled.map(|value| (value, *this.status))
    }
}

/// Completes a sync call's load with what the fn returned (`tags` rendered before the
/// call): stores it unless `skip_if` says not to, answers it, and reports how.
#[inline]
pub fn finish<C, A, R>(
    cache: &'static C,
    load: C::Load,
    kind: A,
    tags: Vec<String>,
    returned: R,
    skip_if: impl FnOnce(&C::Value) -> bool,
) -> R
where
    C: CacheStore,
    A: ReturnKind<R, Value = C::Value>,
{
    let failed = kind.failed(&returned);
    let answer = cache.complete(load, kind, returned, skip_if, tags);
    answered(loaded(kind, failed, &answer));
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
) -> R
where
    C: CacheStore,
    A: ReturnKind<R, Value = C::Value>,
{
    let failed = kind.failed(&returned);
    let answer = cache
        .complete_async(load, kind, returned, skip_if, tags)
        .await;
    answered(loaded(kind, failed, &answer));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_reads_the_last_answer_and_restores_the_outer_slot() {
        answered(CacheStatus::Stale);
        let scope = StatusScope::enter();
        answered(CacheStatus::Miss);
        assert_eq!(scope.exit(), CacheStatus::Miss);
        assert_eq!(
            StatusScope::enter().exit(),
            CacheStatus::Hit,
            "nothing written: a hit"
        );
        assert_eq!(
            ANSWERED.get(),
            CacheStatus::Stale,
            "the outer slot is restored"
        );
    }
}
