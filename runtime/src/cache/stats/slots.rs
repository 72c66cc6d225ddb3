//! The hit and miss counters: one slot per thread, so that counting a hit is a plain
//! load and store instead of a locked read-modify-write.
//!
//! A thread leases one of [`OWNED`] slot numbers the first time it counts, for as long as
//! it lives; every counter has a slot of that number that only the leasing thread writes,
//! so it adds 1 with a relaxed load and a relaxed store and no increment is lost. The lease
//! is handed back when the thread exits (through a mutex, so the next holder sees the last
//! value written) and taken by the next thread that counts. Threads beyond the first
//! [`OWNED`] alive at once, and a thread counting while its thread-locals are torn down,
//! count with an atomic add on one of [`SHARED`] stripes instead. A read adds up every
//! slot and stripe.

use crossbeam_utils::CachePadded;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Slot numbers leased to one thread at a time.
const OWNED: usize = 8;
/// Stripes shared by the threads without a lease (a power of two).
const SHARED: usize = 4;
/// The slot of a thread that has not counted yet.
const UNSET: usize = usize::MAX;

thread_local! {
    /// This thread's slot: below [`OWNED`] its lease, else `OWNED` + a shared stripe.
    static SLOT: Cell<usize> = const { Cell::new(UNSET) };
    /// Hands the lease back when the thread exits.
    static LEASE: Lease = const { Lease };
}

/// Which slot numbers are leased: bit `i` for slot `i`.
static LEASED: Mutex<u8> = Mutex::new(0);
const _: () = assert!(OWNED <= u8::BITS as usize);

/// The thread-local whose destructor returns the thread's lease.
struct Lease;

impl Drop for Lease {
    fn drop(&mut self) {
        let slot = SLOT.get();
        if slot < OWNED {
            // From here on this thread counts on a shared stripe: its slot is someone else's.
            SLOT.set(shared_stripe());
            *LEASED.lock().unwrap_or_else(PoisonError::into_inner) &= !(1 << slot);
        }
    }
}

/// The next shared stripe, in turn.
fn shared_stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    OWNED + NEXT.fetch_add(1, Ordering::Relaxed) % SHARED
}

/// This thread's slot, leased at its first call.
#[inline]
fn slot() -> usize {
    let slot = SLOT.get();
    if slot == UNSET {
        lease()
    } else {
        slot
    }
}

/// Takes a free slot number for this thread, or a shared stripe when none is free or the
/// thread is exiting (its lease could not be handed back).
#[cold]
#[inline(never)]
fn lease() -> usize {
    let slot = {
        let mut leased = LEASED.lock().unwrap_or_else(PoisonError::into_inner);
        let free = leased.trailing_ones() as usize;
        if free < OWNED && LEASE.try_with(|_| ()).is_ok() {
            *leased |= 1 << free;
            free
        } else {
            shared_stripe()
        }
    };
    SLOT.set(slot);
    slot
}

/// A count kept in per-thread slots (see the module doc).
#[derive(Default)]
pub(crate) struct SlotCounter {
    owned: [CachePadded<AtomicU64>; OWNED],
    shared: [CachePadded<AtomicU64>; SHARED],
    /// What [`SlotCounter::get`] subtracts: the sum at the last reset.
    base: AtomicU64,
}

impl SlotCounter {
    /// Adds 1.
    #[inline]
    pub(crate) fn incr(&self) {
        let slot = slot();
        if let Some(owned) = self.owned.get(slot) {
            // Only this thread writes this slot while it holds the lease.
            owned.store(owned.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        } else {
            self.shared[(slot - OWNED) % SHARED].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The count since the last reset.
    pub(crate) fn get(&self) -> u64 {
        self.sum().saturating_sub(self.base.load(Ordering::Relaxed))
    }

    /// Counts from 0 again. Slots are written by their threads only, so this moves the
    /// base instead of zeroing them.
    pub(crate) fn reset(&self) {
        self.base.store(self.sum(), Ordering::Relaxed);
    }

    fn sum(&self) -> u64 {
        let load = |c: &CachePadded<AtomicU64>| c.load(Ordering::Relaxed);
        self.owned.iter().map(load).sum::<u64>() + self.shared.iter().map(load).sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::thread;

    /// The tests that lease slots for many threads run one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    /// More threads than leases, all counting at once, then again after they exit (the
    /// leases reused): every increment is in the total.
    #[test]
    fn concurrent_increments_are_all_counted() {
        const THREADS: usize = 3 * OWNED;
        const EACH: u64 = 200_000;
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let counter = SlotCounter::default();
        for _ in 0..2 {
            let start = Barrier::new(THREADS);
            thread::scope(|s| {
                for _ in 0..THREADS {
                    s.spawn(|| {
                        start.wait();
                        (0..EACH).for_each(|_| counter.incr());
                    });
                }
            });
        }
        assert_eq!(counter.get(), 2 * THREADS as u64 * EACH);
    }

    /// Threads one after another, three times as many as there are leases: each round
    /// ends with a thread that found a lease free. Were exiting threads to keep their
    /// leases, every lease would be gone after the first rounds and no later thread would
    /// find one. Other tests running meanwhile hold leases only while their threads live,
    /// so a round tries new threads until one finds a lease (bounded in count).
    #[test]
    fn an_exiting_thread_hands_its_lease_back() {
        const ATTEMPTS: usize = 1_000;
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let counter = SlotCounter::default();
        let mut counted = 0;
        for round in 0..3 * OWNED {
            let leased = (0..ATTEMPTS).any(|_| {
                counted += 1;
                thread::scope(|s| {
                    s.spawn(|| {
                        counter.incr();
                        slot() < OWNED
                    })
                    .join()
                    .expect("the counting thread does not panic")
                })
            });
            assert!(leased, "round {round}: no thread found a lease free");
        }
        assert_eq!(counter.get(), counted);
    }

    #[test]
    fn reset_counts_from_zero() {
        let counter = SlotCounter::default();
        (0..5).for_each(|_| counter.incr());
        counter.reset();
        assert_eq!(counter.get(), 0);
        thread::scope(|s| {
            s.spawn(|| (0..3).for_each(|_| counter.incr()));
        });
        counter.incr();
        assert_eq!(counter.get(), 4);
    }
}
