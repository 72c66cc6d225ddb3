//! Waiting for a store's future from sync code.
//!
//! The future is polled on the calling thread inside the context of the runtime
//! memotrace owns for its Redis connections (a thread of its own, started at first
//! use), so its timers and sockets work whether or not the caller is inside a tokio
//! runtime; entering a context never panics, unlike `Runtime::block_on`. Inside an
//! async runtime the call still blocks its worker thread for the round trip.

use super::background::block_on;
use std::future::Future;

/// Runs `future` to completion on this thread.
pub(crate) fn wait<F: Future>(future: F) -> F::Output {
    #[cfg(feature = "redis")]
    let _context = super::redis::backend_runtime().enter();
    block_on(future)
}
