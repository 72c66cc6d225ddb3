//! A lock-free log-linear latency histogram (HDR-style: 32 sub-buckets per power of two,
//! so ≤ 3.1 % relative error), sharded so concurrent recorders rarely share a cache line.

use std::sync::atomic::{AtomicU64, Ordering};

const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;
/// Values up to 2^40 ns (~18 minutes) are distinguished; larger ones land in the top bucket.
const MAX_EXP: u32 = 40;
const BUCKETS: usize = (MAX_EXP - SUB_BITS + 2) as usize * SUB;

fn index(v: u64) -> usize {
    if v < SUB as u64 {
        return usize::try_from(v).unwrap_or(0);
    }
    let exp = (63 - v.leading_zeros()).min(MAX_EXP);
    let v = v.min((1 << (MAX_EXP + 1)) - 1);
    let shift = exp - SUB_BITS;
    let sub = usize::try_from((v >> shift) & (SUB as u64 - 1)).unwrap_or(0);
    (exp - SUB_BITS + 1) as usize * SUB + sub
}

/// The highest value a bucket holds.
fn upper(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let group = u32::try_from(i / SUB).unwrap_or(0);
    let sub = (i % SUB) as u64;
    let shift = group - 1;
    ((SUB as u64 + sub + 1) << shift) - 1
}

#[repr(align(128))]
struct Shard {
    errors: AtomicU64,
    sum_ns: AtomicU64,
    max_ns: AtomicU64,
    buckets: Box<[AtomicU64]>,
}

impl Shard {
    fn new() -> Self {
        Self {
            errors: AtomicU64::new(0),
            sum_ns: AtomicU64::new(0),
            max_ns: AtomicU64::new(0),
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

/// Per-operation metrics.
pub(crate) struct Histogram {
    shards: Box<[Shard]>,
}

fn shard_count() -> usize {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get())
        .next_power_of_two()
        .clamp(2, 16)
}

thread_local! {
    static SHARD_HINT: usize = {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        usize::try_from(NEXT.fetch_add(1, Ordering::Relaxed)).unwrap_or(0)
    };
}

/// The aggregated numbers of one histogram.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Totals {
    pub count: u64,
    pub errors: u64,
    pub sum_ns: u64,
    pub max_ns: u64,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Self {
            shards: (0..shard_count()).map(|_| Shard::new()).collect(),
        }
    }

    pub(crate) fn record(&self, ns: u64, error: bool) {
        let hint = SHARD_HINT.try_with(|h| *h).unwrap_or(0);
        let shard = &self.shards[hint & (self.shards.len() - 1)];
        if error {
            shard.errors.fetch_add(1, Ordering::Relaxed);
        }
        shard.sum_ns.fetch_add(ns, Ordering::Relaxed);
        if ns > shard.max_ns.load(Ordering::Relaxed) {
            shard.max_ns.fetch_max(ns, Ordering::Relaxed);
        }
        shard.buckets[index(ns)].fetch_add(1, Ordering::Relaxed);
    }

    /// Every shard's buckets added up.
    fn merged_buckets(&self) -> Vec<u64> {
        let mut merged = vec![0u64; BUCKETS];
        for s in &*self.shards {
            for (m, b) in merged.iter_mut().zip(s.buckets.iter()) {
                *m += b.load(Ordering::Relaxed);
            }
        }
        merged
    }

    fn sum_ns(&self) -> u64 {
        self.shards.iter().fold(0, |sum, s| {
            sum.saturating_add(s.sum_ns.load(Ordering::Relaxed))
        })
    }

    pub(crate) fn totals(&self) -> Totals {
        let merged = self.merged_buckets();
        let mut t = Totals {
            count: merged.iter().sum(),
            sum_ns: self.sum_ns(),
            ..Totals::default()
        };
        for s in &*self.shards {
            t.errors += s.errors.load(Ordering::Relaxed);
            t.max_ns = t.max_ns.max(s.max_ns.load(Ordering::Relaxed));
        }
        let at = |q: f64| -> u64 {
            if t.count == 0 {
                return 0;
            }
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let rank = ((q * t.count as f64).ceil() as u64).max(1);
            let mut seen = 0;
            for (i, n) in merged.iter().enumerate() {
                seen += n;
                if seen >= rank {
                    return upper(i).min(t.max_ns);
                }
            }
            t.max_ns
        };
        t.p50 = at(0.50);
        t.p95 = at(0.95);
        t.p99 = at(0.99);
        t
    }

    /// The count, the total ns, and how many recorded values are at or below each of
    /// `bounds_ns` (ascending), all from one read of the buckets, so no bound's count
    /// exceeds the total. A value is counted under the first bound at or above its
    /// bucket's upper end, so it may move up one bound when the bound splits its bucket
    /// (≤ 3.1 % of the value).
    #[cfg(any(feature = "metrics", feature = "otel"))]
    pub(crate) fn cumulative(&self, bounds_ns: &[u64]) -> (u64, u64, Vec<u64>) {
        let merged = self.merged_buckets();
        let mut counts = vec![0u64; bounds_ns.len()];
        for (i, n) in merged.iter().enumerate().filter(|(_, n)| **n > 0) {
            let first = bounds_ns.partition_point(|&b| b < upper(i));
            if let Some(c) = counts.get_mut(first) {
                *c += n;
            }
        }
        let mut running = 0;
        for c in &mut counts {
            running += *c;
            *c = running;
        }
        (merged.iter().sum(), self.sum_ns(), counts)
    }

    pub(crate) fn reset(&self) {
        for s in &*self.shards {
            s.errors.store(0, Ordering::Relaxed);
            s.sum_ns.store(0, Ordering::Relaxed);
            s.max_ns.store(0, Ordering::Relaxed);
            s.buckets.iter().for_each(|b| b.store(0, Ordering::Relaxed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in (0..1_000_000u64).step_by(7).chain([1 << 39, u64::MAX]) {
            let i = index(v);
            assert!(i >= last, "{v}");
            assert!(i < BUCKETS);
            last = i;
            if v < 1 << 40 {
                assert!(upper(i) >= v, "{v} > upper {}", upper(i));
                #[allow(clippy::cast_precision_loss)]
                let err = (upper(i) - v) as f64 / v.max(1) as f64;
                assert!(err <= 0.0625, "{v}: {err}");
            }
        }
    }

    #[test]
    #[cfg(any(feature = "metrics", feature = "otel"))]
    fn cumulative_counts() {
        let h = Histogram::new();
        for v in [500, 900, 40_000, 2_000_000, 9_000_000_000] {
            h.record(v, false);
        }
        // 1 µs, 50 µs, 1 ms, 1 s: the 2 ms and 9 s calls are above every bound.
        let (count, sum_ns, counts) = h.cumulative(&[1_000, 50_000, 1_000_000, 1_000_000_000]);
        assert_eq!(counts, [2, 3, 3, 4]);
        assert_eq!((count, sum_ns), (5, 9_002_041_400));
    }

    #[test]
    fn percentiles() {
        let h = Histogram::new();
        for v in 1..=1000u64 {
            h.record(v * 1000, v % 10 == 0);
        }
        let t = h.totals();
        assert_eq!(t.count, 1000);
        assert_eq!(t.errors, 100);
        assert_eq!(t.max_ns, 1_000_000);
        let near = |got: u64, want: u64| (got as f64 - want as f64).abs() / want as f64 <= 0.04;
        assert!(near(t.p50, 500_000), "{}", t.p50);
        assert!(near(t.p95, 950_000), "{}", t.p95);
        assert!(near(t.p99, 990_000), "{}", t.p99);
    }
}
