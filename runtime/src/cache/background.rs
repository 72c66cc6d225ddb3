//! Where background refreshes run: a tokio task when a tokio runtime is current, else a
//! short-lived thread.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Runs `job` on a new background thread.
pub(crate) fn run(job: impl FnOnce() + Send + 'static) {
    if let Err(error) = thread::Builder::new()
        .name("memotrace-refresh".into())
        .spawn(job)
    {
        tracing::warn!(%error, "cache_refresh_not_started");
    }
}

/// Runs `task` in the background.
pub(crate) fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn(task)),
        Err(_) => run(move || block_on(task)),
    }
}

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread, parking between wake-ups.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}
