//! Random tokens: a process's instance id on the invalidation channel and the owner
//! token of each lock acquisition.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A random 128-bit token, hex: unique per lock acquisition across processes.
pub(super) fn token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut halves = [0u64; 2];
    for (i, half) in halves.iter_mut().enumerate() {
        // RandomState is seeded from the OS once per process, then per instance.
        let mut h = RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(n);
        h.write_u32(std::process::id());
        h.write_usize(i);
        *half = h.finish();
    }
    format!("{:016x}{:016x}", halves[0], halves[1])
}
