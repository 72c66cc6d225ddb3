//! A coarse monotonic clock: milliseconds since the first cache was built, read with one
//! relaxed atomic load.
//!
//! A background thread (`memotrace-clock`, started lazily by the first cache that has a
//! ttl) stores the elapsed time every millisecond, so a cache hit never calls
//! `Instant::now()` (~20 ns here) but reads an atomic (~1 ns). The resolution is about
//! 1 ms; a scheduler delay can make the clock lag a few ms, which only makes entries
//! live a few ms longer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

static NOW_MS: AtomicU64 = AtomicU64::new(0);
static EPOCH: OnceLock<Instant> = OnceLock::new();

/// The coarse time, in ms since the clock started.
#[inline]
pub(crate) fn now_ms() -> u64 {
    NOW_MS.load(Ordering::Relaxed)
}

/// Starts the ticking thread once; later calls return at once.
pub(crate) fn start() {
    let mut started_here = false;
    let epoch = *EPOCH.get_or_init(|| {
        started_here = true;
        Instant::now()
    });
    if !started_here {
        return;
    }
    let tick = move || NOW_MS.store(elapsed_ms(epoch), Ordering::Relaxed);
    tick();
    let spawned = thread::Builder::new()
        .name("memotrace-clock".into())
        .spawn(move || loop {
            thread::sleep(Duration::from_millis(1));
            tick();
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "memotrace_clock_thread_failed");
    }
}

fn elapsed_ms(epoch: Instant) -> u64 {
    // Starts at 1 so that 0 never looks like "not started yet".
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX) + 1
}
