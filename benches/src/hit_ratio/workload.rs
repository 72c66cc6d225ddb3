//! Synthetic request streams, generated from a seed so every run replays the same keys.

use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Zipf};

/// Zipf-scan mixes insert one scan every this many Zipf requests.
pub const SCAN_EVERY: usize = 100_000;

/// `requests` keys drawn from a Zipf distribution of exponent `alpha` over `distinct`
/// keys (`0..distinct`, key 0 the most popular).
pub fn zipf(alpha: f64, distinct: u64, requests: usize, seed: u64) -> Vec<u64> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let dist = Zipf::new(distinct as f64, alpha).expect("alpha >= 0 and distinct >= 1");
    (0..requests)
        .map(|_| dist.sample(&mut rng) as u64 - 1)
        .collect()
}

/// A Zipf 0.9 stream over `distinct` keys polluted by sequential scans: after every
/// [`SCAN_EVERY`] Zipf requests, `2 × capacity` keys read once each, in order, from a
/// cold range (`distinct..`) that the scans walk through and never revisit. `requests`
/// counts the scan reads too.
pub fn scan_mix(distinct: u64, capacity: u64, requests: usize, seed: u64) -> Vec<u64> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let dist = Zipf::new(distinct as f64, 0.9).expect("valid Zipf parameters");
    let mut cold = distinct;
    let mut out = Vec::with_capacity(requests);
    while out.len() < requests {
        for _ in 0..SCAN_EVERY.min(requests - out.len()) {
            out.push(dist.sample(&mut rng) as u64 - 1);
        }
        for _ in 0..(2 * capacity as usize).min(requests - out.len()) {
            out.push(cold);
            cold += 1;
        }
    }
    out
}

/// Keys `0..1.2 × capacity` requested in order, over and over: the pattern where LRU
/// never hits.
pub fn looping(capacity: u64, requests: usize) -> Vec<u64> {
    let period = capacity * 6 / 5;
    (0..requests as u64).map(|i| i % period).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_skewed() {
        let a = zipf(1.0, 1_000, 10_000, 7);
        assert_eq!(a, zipf(1.0, 1_000, 10_000, 7));
        assert!(a.iter().all(|&k| k < 1_000));
        let top = a.iter().filter(|&&k| k == 0).count();
        let tail = a.iter().filter(|&&k| k == 999).count();
        assert!(top > 50 * tail.max(1), "key 0: {top}, key 999: {tail}");
    }

    #[test]
    fn scans_are_cold_and_sized_by_capacity() {
        let s = scan_mix(1_000, 10, SCAN_EVERY + 20 + 5, 1);
        assert_eq!(s.len(), SCAN_EVERY + 25);
        let scan = &s[SCAN_EVERY..SCAN_EVERY + 20];
        assert_eq!(scan, (1_000..1_020).collect::<Vec<_>>());
        assert!(s[SCAN_EVERY + 20..].iter().all(|&k| k < 1_000));
    }

    #[test]
    fn loop_cycles_over_six_fifths_of_capacity() {
        let l = looping(10, 30);
        assert_eq!(&l[..13], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0]);
    }
}
