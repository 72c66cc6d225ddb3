//! Belady's optimal replacement, computed offline: on a miss with the cache full, evict
//! the entry whose next request is furthest away — or admit nothing when the new key's
//! own next request is further still (a key never requested again is never stored). No
//! online policy, which cannot see the future, gets more hits on the same trace.

use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap};

const NEVER: u32 = u32::MAX;

/// For each request, the index of the next request of the same key ([`NEVER`] if none).
fn next_uses(trace: &[u64]) -> Vec<u32> {
    assert!(
        trace.len() < NEVER as usize,
        "trace too long for u32 indices"
    );
    let mut seen: HashMap<u64, u32> = HashMap::new();
    let mut next = vec![NEVER; trace.len()];
    for (i, key) in trace.iter().enumerate().rev() {
        if let Some(later) = seen.insert(*key, i as u32) {
            next[i] = later;
        }
    }
    next
}

/// The hits of an optimal cache of `capacity` entries replaying `trace`.
pub fn hits(trace: &[u64], capacity: usize) -> u64 {
    let next = next_uses(trace);
    // Resident key → its next request; the heap holds (next request, key) pairs, some
    // stale (the key was requested again since), skipped when they surface.
    let mut resident: HashMap<u64, u32> = HashMap::with_capacity(capacity);
    let mut heap: BinaryHeap<(u32, u64)> = BinaryHeap::with_capacity(capacity * 2);
    let mut hits = 0;
    for (&key, &upcoming) in trace.iter().zip(&next) {
        if let Entry::Occupied(mut e) = resident.entry(key) {
            hits += 1;
            e.insert(upcoming);
            heap.push((upcoming, key));
            if heap.len() > 4 * capacity + 16 {
                heap = resident.iter().map(|(&k, &n)| (n, k)).collect();
            }
            continue;
        }
        if upcoming == NEVER || capacity == 0 {
            continue;
        }
        if resident.len() >= capacity {
            let furthest = loop {
                let &(n, k) = heap.peek().expect("a full cache has heap entries");
                if resident.get(&k) == Some(&n) {
                    break n;
                }
                heap.pop();
            };
            if furthest < upcoming {
                continue;
            }
            let (_, victim) = heap.pop().expect("peeked above");
            resident.remove(&victim);
        }
        resident.insert(key, upcoming);
        heap.push((upcoming, key));
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_key_needed_last() {
        // Capacity 2: 3 evicts 2 (needed last), so 1 and 3 hit; LRU would evict 1.
        assert_eq!(hits(&[1, 2, 3, 1, 3, 2], 2), 2);
        // A key never requested again is not admitted: 1 and 2 stay and both hit.
        assert_eq!(hits(&[1, 2, 3, 1, 2], 2), 2);
        // Classic example: 3 hits for capacity 3 (LRU gets 2 of them).
        let trace = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];
        assert_eq!(hits(&trace, 3), 5);
    }

    #[test]
    fn loop_keeps_all_but_one_slot_hitting() {
        // A loop over 12 keys with room for 10: OPT hits 9 of every 12 after the first
        // pass (one slot turns over), LRU hits none.
        let trace: Vec<u64> = (0..1_200).map(|i| i % 12).collect();
        let h = hits(&trace, 10);
        assert!((880..=1_000).contains(&h), "{h}");
    }

    #[test]
    fn never_beats_fitting_everything() {
        let trace: Vec<u64> = (0..1_000).map(|i| i % 50).collect();
        assert_eq!(hits(&trace, 50), 1_000 - 50);
        assert_eq!(hits(&trace, 0), 0);
    }
}
