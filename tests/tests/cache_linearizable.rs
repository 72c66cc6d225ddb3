//! Invalidation is linearizable on every memory engine: once `{fn}_invalidate`,
//! `{fn}_put`, `invalidate_tag` or `.clear()` returns, no call that starts afterwards
//! returns a value loaded before it.
//!
//! Eight threads mix calls, invalidations, writes, tag invalidations and clears on 10 000
//! keys (half the traffic on 100 hot ones) held in caches of 1 000 entries. Every value
//! carries the sequence number drawn when its loader started (or when it was written);
//! every invalidation draws one before it starts and publishes it once it has returned. A call that starts after an
//! invalidation of its key returned must answer a value whose number is higher.
//! Writes and invalidations of a key come from the thread that owns its tag group, so
//! they are ordered and the check has no false positives.
//!
//! The run lasts `MEMOTRACE_STRESS_MS` (default 2 000 ms) per engine.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Barrier;
use std::time::{Duration, Instant};

const KEYS: u64 = 10_000;
const GROUPS: u64 = 100;
const THREADS: u64 = 8;

/// Sequence numbers: a value is `seq << 1` when loaded, `seq << 1 | 1` when written.
static SEQ: AtomicU64 = AtomicU64::new(1);

fn next_seq() -> u64 {
    SEQ.fetch_add(1, SeqCst)
}

fn load() -> u64 {
    let seq = next_seq();
    // Give invalidations a chance to land while the load is in flight.
    std::thread::yield_now();
    seq << 1
}

#[memotrace::cached(max_capacity = 1_000, key = key, tags = ["g:{group}"])]
fn on_quick(key: u64, group: u64) -> u64 {
    let _ = (key, group);
    load()
}

#[memotrace::cached(max_capacity = 1_000, tti = "1h", key = key, tags = ["g:{group}"])]
fn on_moka(key: u64, group: u64) -> u64 {
    let _ = (key, group);
    load()
}

#[memotrace::cached(
    max_capacity = 1_000,
    ttl = "30ms",
    refresh_ahead = 0.5,
    key = key,
    tags = ["g:{group}"]
)]
fn on_refreshing(key: u64, group: u64) -> u64 {
    let _ = (key, group);
    load()
}

#[memotrace::cached(
    max_capacity = 1_000,
    ttl = "15ms",
    stale_while_revalidate = "30ms",
    key = key,
    tags = ["g:{group}"]
)]
fn on_revalidating(key: u64, group: u64) -> u64 {
    let _ = (key, group);
    load()
}

/// One engine under test, through the macro's companions.
struct Subject {
    call: fn(u64, u64) -> u64,
    invalidate: fn(u64, u64) -> bool,
    put: fn(u64, u64, u64),
    invalidate_tag: fn(&str) -> u64,
    clear: fn(),
}

#[derive(Default)]
struct Verdict {
    checks: u64,
    stale: u64,
    stale_after_clear: u64,
    invalidations: u64,
    tag_invalidations: u64,
    clears: u64,
}

struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn run_duration() -> Duration {
    let ms = std::env::var("MEMOTRACE_STRESS_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    Duration::from_millis(ms)
}

fn stress(subject: &Subject) -> Verdict {
    // The number drawn before the last completed invalidation or write of each key.
    let floor: Vec<AtomicU64> = (0..KEYS).map(|_| AtomicU64::new(0)).collect();
    let cleared = AtomicU64::new(0);
    let start = Barrier::new(THREADS as usize);
    let until = Instant::now() + run_duration();
    let verdicts: Vec<Verdict> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (floor, cleared, start) = (&floor, &cleared, &start);
                s.spawn(move || {
                    let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15 ^ (thread + 1));
                    let mut v = Verdict::default();
                    start.wait();
                    // Bounded in time and in count.
                    for _ in 0..50_000_000u64 {
                        if Instant::now() >= until {
                            break;
                        }
                        let dice = rng.next() % 1_000;
                        // Half the traffic on a hot key per group, so invalidations
                        // often meet loads of the same key in flight.
                        let spread = if rng.next().is_multiple_of(2) {
                            1
                        } else {
                            KEYS / GROUPS
                        };
                        // A key in one of this thread's groups, for writes.
                        let owned = {
                            let group = (rng.next() % (GROUPS / THREADS)) * THREADS + thread;
                            (rng.next() % spread) * GROUPS + group
                        };
                        match dice {
                            0..=59 => {
                                let mark = next_seq();
                                (subject.invalidate)(owned, owned % GROUPS);
                                floor[owned as usize].fetch_max(mark, SeqCst);
                                v.invalidations += 1;
                            }
                            60..=99 => {
                                let mark = next_seq();
                                (subject.put)(owned, owned % GROUPS, mark << 1 | 1);
                                floor[owned as usize].fetch_max(mark, SeqCst);
                            }
                            100..=109 => {
                                let group = owned % GROUPS;
                                let mark = next_seq();
                                (subject.invalidate_tag)(&format!("g:{group}"));
                                for key in (group..KEYS).step_by(GROUPS as usize) {
                                    floor[key as usize].fetch_max(mark, SeqCst);
                                }
                                v.tag_invalidations += 1;
                            }
                            110 if rng.next().is_multiple_of(4) => {
                                let mark = next_seq();
                                (subject.clear)();
                                cleared.fetch_max(mark, SeqCst);
                                v.clears += 1;
                            }
                            _ => {
                                let key = (rng.next() % spread) * GROUPS + rng.next() % GROUPS;
                                let min = floor[key as usize].load(SeqCst);
                                let clear_mark = cleared.load(SeqCst);
                                let value = (subject.call)(key, key % GROUPS);
                                let (seq, written) = (value >> 1, value & 1 == 1);
                                v.checks += 1;
                                if seq < min {
                                    v.stale += 1;
                                }
                                if !written && seq < clear_mark {
                                    v.stale_after_clear += 1;
                                }
                            }
                        }
                    }
                    v
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    verdicts.into_iter().fold(Verdict::default(), |mut all, v| {
        all.checks += v.checks;
        all.stale += v.stale;
        all.stale_after_clear += v.stale_after_clear;
        all.invalidations += v.invalidations;
        all.tag_invalidations += v.tag_invalidations;
        all.clears += v.clears;
        all
    })
}

fn assert_linearizable(name: &str, subject: &Subject) {
    let v = stress(subject);
    eprintln!(
        "{name}: {} checks, {} invalidations, {} tag invalidations, {} clears: \
         {} stale, {} stale after clear",
        v.checks, v.invalidations, v.tag_invalidations, v.clears, v.stale, v.stale_after_clear
    );
    assert!(v.checks > 2_000, "{name}: too few checks to mean anything");
    assert!(v.invalidations > 100 && v.tag_invalidations > 10, "{name}");
    assert_eq!(
        (v.stale, v.stale_after_clear),
        (0, 0),
        "{name}: values loaded before an invalidation returned after it"
    );
}

macro_rules! subject {
    ($call:ident, $invalidate:ident, $put:ident, $cache:ident) => {
        Subject {
            call: $call,
            invalidate: $invalidate,
            put: $put,
            invalidate_tag: |tag| $cache().invalidate_tag_now(tag),
            clear: || $cache().clear(),
        }
    };
}

#[test]
fn quick_cache_engine_invalidation_is_linearizable() {
    assert_linearizable(
        "quick_cache",
        &subject!(on_quick, on_quick_invalidate, on_quick_put, on_quick_cache),
    );
}

#[test]
fn moka_engine_invalidation_is_linearizable() {
    assert_linearizable(
        "moka",
        &subject!(on_moka, on_moka_invalidate, on_moka_put, on_moka_cache),
    );
}

#[test]
fn refresh_ahead_does_not_store_across_an_invalidation() {
    assert_linearizable(
        "refresh_ahead",
        &subject!(
            on_refreshing,
            on_refreshing_invalidate,
            on_refreshing_put,
            on_refreshing_cache
        ),
    );
}

#[test]
fn stale_while_revalidate_does_not_store_across_an_invalidation() {
    assert_linearizable(
        "stale_while_revalidate",
        &subject!(
            on_revalidating,
            on_revalidating_invalidate,
            on_revalidating_put,
            on_revalidating_cache
        ),
    );
}
