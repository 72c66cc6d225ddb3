//! Sync fns on `store = redis | tiered`: their body awaits the store and is run to
//! completion on the calling thread.

use std::future::Future;

/// Runs a sync cached fn's body (see `cache::blocking`).
pub fn wait_for_store<F: Future>(body: F) -> F::Output {
    crate::cache::blocking::wait(body)
}
