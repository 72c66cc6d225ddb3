//! How `#[invalidates]` settles its targets after the writer returns.
//!
//! A target's `{fn}_invalidate` companion returns `bool` for a memory cache and a future
//! for a shared one; [`Settle`] takes either: [`SettleNow`] answers for `bool`,
//! [`SettleLater`] for futures (method resolution picks the one whose impl applies).

use crate::cache::blocking::wait;
use crate::cache::invalidate_tag;
use std::future::{ready, Future, Ready};

/// The result of one `{fn}_invalidate(..)` call, settled after the writer's body.
pub struct Settle<T>(pub T);

/// Settling a memory cache's invalidation, already done.
pub trait SettleNow {
    /// Resolves at once.
    fn settled(self) -> Ready<bool>;
    /// Returns at once.
    fn settled_blocking(self) -> bool;
}

impl SettleNow for Settle<bool> {
    #[inline]
    fn settled(self) -> Ready<bool> {
        ready(self.0)
    }

    #[inline]
    fn settled_blocking(self) -> bool {
        self.0
    }
}

/// Settling a shared cache's invalidation: awaiting it, or waiting for it.
pub trait SettleLater {
    /// The invalidation's future.
    type Future: Future<Output = bool>;
    /// The future, to await.
    fn settled(self) -> Self::Future;
    /// Runs the future to completion on this thread (see `cache::blocking`).
    fn settled_blocking(self) -> bool;
}

impl<F: Future<Output = bool>> SettleLater for Settle<F> {
    type Future = F;

    fn settled(self) -> F {
        self.0
    }

    fn settled_blocking(self) -> bool {
        wait(self.0)
    }
}

/// Drops every entry carrying one of `tags`, in every cache.
pub async fn invalidate_tags(tags: Vec<String>) {
    for tag in tags {
        invalidate_tag(&tag).await;
    }
}

/// [`invalidate_tags`] from a sync writer.
pub fn invalidate_tags_blocking(tags: Vec<String>) {
    wait(invalidate_tags(tags));
}

/// Names the type of an async writer's body, so `?` in it converts errors as in the fn.
#[inline]
pub fn body_returning<T, F: Future<Output = T>>(future: F) -> F {
    future
}
