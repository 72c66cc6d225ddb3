//! Orders loads against invalidations and writes, so invalidation is linearizable: once
//! an invalidation (or a write) returns, no value loaded before it is stored.
//!
//! Keys are spread over striped generations. A load takes a [`Ticket`] (its stripe's
//! generation) *before* its loader runs, and stores its value only through
//! [`WriteFence::store_if_current`], which checks the ticket and stores under the
//! stripe's read lock. An invalidation or write bumps the generation and changes the
//! store under the write lock of the key's stripe ([`WriteFence::write_key`]) or of every
//! stripe ([`WriteFence::write_all`], for `clear` and tags). So a completion either
//! stores entirely before the invalidation changes the store (which then drops or
//! replaces the value), or sees the new generation and stores nothing: there is no
//! window between the check and the store. Hits take no lock.

use crossbeam_utils::CachePadded;
#[cfg(memotrace_loom)]
use loom::sync::{
    atomic::{AtomicU64, Ordering},
    RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use std::hash::{BuildHasher, Hash};
use std::sync::PoisonError;
#[cfg(not(memotrace_loom))]
use std::sync::{
    atomic::{AtomicU64, Ordering},
    RwLock, RwLockReadGuard, RwLockWriteGuard,
};

/// Enough stripes that an invalidation of one key rarely supersedes loads of others on a
/// 2–16 core machine; few enough that `write_all` stays cheap. Two under the model
/// checker, which explores every interleaving of every lock.
const STRIPES: usize = if cfg!(memotrace_loom) { 2 } else { 16 };

/// A fixed-seed foldhash (the hash quick_cache uses, ~15 instructions for a `u64` where
/// SipHash takes ~100): stripes need spreading, not secrecy (keys an attacker aims at one
/// stripe only make loads of that stripe store less often), and the model checker needs
/// runs to repeat.
type StripeHasher = foldhash::quality::FixedState;

struct Stripe {
    lock: RwLock<()>,
    generation: AtomicU64,
}

/// The striped generations of one cache.
pub(crate) struct WriteFence {
    stripes: Box<[CachePadded<Stripe>]>,
    hasher: StripeHasher,
}

/// A load's view of its key's stripe, taken before the loader runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    stripe: usize,
    generation: u64,
}

impl WriteFence {
    pub(crate) fn new() -> Self {
        Self {
            stripes: (0..STRIPES)
                .map(|_| {
                    CachePadded::new(Stripe {
                        lock: RwLock::new(()),
                        generation: AtomicU64::new(0),
                    })
                })
                .collect(),
            hasher: StripeHasher::default(),
        }
    }

    fn stripe_of<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        // The low bits of foldhash are uniform; `K: Borrow<Q>` hashes alike for K and Q.
        (self.hasher.hash_one(key) as usize) % STRIPES
    }

    /// The ticket of a load of `key` that starts now.
    pub(crate) fn ticket<Q: Hash + ?Sized>(&self, key: &Q) -> Ticket {
        let stripe = self.stripe_of(key);
        let generation = self.stripes[stripe].generation.load(Ordering::Acquire);
        Ticket { stripe, generation }
    }

    /// Runs `store` (and answers true) only when no invalidation or write reached the
    /// ticket's stripe since the ticket was taken; none can start until `store` is done.
    pub(crate) fn store_if_current(&self, ticket: Ticket, store: impl FnOnce()) -> bool {
        let Some(_shared) = self.admit(ticket) else {
            return false;
        };
        store();
        true
    }

    /// Runs an invalidation or write of `key`: loads of its stripe in flight now will
    /// not store, and none stores while `change` runs.
    pub(crate) fn write_key<Q: Hash + ?Sized, R>(&self, key: &Q, change: impl FnOnce() -> R) -> R {
        let _exclusive = self.supersede(self.stripe_of(key));
        change()
    }

    /// Runs an invalidation that may touch any key (clear, tags, index pruning): no load
    /// in flight now stores, and none stores while `change` runs.
    pub(crate) fn write_all<R>(&self, change: impl FnOnce() -> R) -> R {
        let _exclusive = self.lock_all();
        for stripe in self.stripes.iter() {
            stripe.generation.fetch_add(1, Ordering::AcqRel);
        }
        change()
    }

    /// Runs `inspect` while no load stores and no generation changes (index pruning):
    /// loads in flight are not superseded.
    pub(crate) fn quiesced<R>(&self, inspect: impl FnOnce() -> R) -> R {
        let _exclusive = self.lock_all();
        inspect()
    }

    // The locking is written once here, outside the generic methods above, so that the
    // user's crate compiles it once and not again for every cache's closures (`#[inline]`:
    // once per crate, and inlined where optimised).

    /// The ticket's stripe held shared, if its generation is still the ticket's.
    #[inline]
    fn admit(&self, ticket: Ticket) -> Option<RwLockReadGuard<'_, ()>> {
        let stripe = &self.stripes[ticket.stripe];
        let shared = read(&stripe.lock);
        (stripe.generation.load(Ordering::Acquire) == ticket.generation).then_some(shared)
    }

    /// The stripe held exclusively, its generation bumped.
    #[inline]
    fn supersede(&self, stripe: usize) -> RwLockWriteGuard<'_, ()> {
        let stripe = &self.stripes[stripe];
        let exclusive = write(&stripe.lock);
        stripe.generation.fetch_add(1, Ordering::AcqRel);
        exclusive
    }

    /// Every stripe held exclusively, always taken in stripe order, so two callers
    /// cannot deadlock.
    #[inline]
    fn lock_all(&self) -> Vec<RwLockWriteGuard<'_, ()>> {
        self.stripes.iter().map(|s| write(&s.lock)).collect()
    }
}

// A panic while a lock was held (a user's `Clone` or `Hash`) leaves nothing half-done
// that the fence relies on: the generation is bumped before the change runs.
fn read(lock: &RwLock<()>) -> RwLockReadGuard<'_, ()> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(lock: &RwLock<()>) -> RwLockWriteGuard<'_, ()> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(all(test, not(memotrace_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_write_to_the_stripe_supersedes_a_ticket() {
        let fence = WriteFence::new();
        let ticket = fence.ticket("k");
        fence.write_key("k", || ());
        assert!(!fence.store_if_current(ticket, || panic!("must not store")));
        let fresh = fence.ticket("k");
        assert!(fence.store_if_current(fresh, || ()));
    }

    #[test]
    fn write_all_supersedes_every_stripe_and_quiesced_none() {
        let fence = WriteFence::new();
        let tickets: Vec<Ticket> = (0..64).map(|i| fence.ticket(&i)).collect();
        fence.quiesced(|| ());
        assert!(tickets.iter().all(|t| fence.store_if_current(*t, || ())));
        fence.write_all(|| ());
        assert!(!tickets.iter().any(|t| fence.store_if_current(*t, || ())));
    }
}

/// The protocol under every interleaving (`scripts/test.sh` runs it:
/// `RUSTFLAGS="--cfg memotrace_loom" cargo test -p memotrace --lib fence::model`).
/// A loader reads the data's version, then stores it through its ticket; a writer bumps
/// the version, then invalidates. Once the writer is done, the store never holds a
/// version read before the bump.
#[cfg(all(test, memotrace_loom))]
mod model {
    use super::WriteFence;
    use loom::sync::atomic::{AtomicU64, Ordering};
    use loom::sync::{Arc, Mutex};

    type Store = Mutex<Option<u64>>;

    /// A load of `key` races `invalidate`, which runs after the data's version went
    /// from 0 to 1: once both are done, the store must not hold version 0.
    fn race(key: u64, invalidate: fn(&WriteFence, &Store)) {
        loom::model(move || {
            let fence = Arc::new(WriteFence::new());
            let version = Arc::new(AtomicU64::new(0));
            let store = Arc::new(Store::new(None));
            let loader = {
                let (fence, version, store) = (fence.clone(), version.clone(), store.clone());
                loom::thread::spawn(move || {
                    let ticket = fence.ticket(&key);
                    let read = version.load(Ordering::SeqCst);
                    fence.store_if_current(ticket, || *store.lock().unwrap() = Some(read));
                })
            };
            version.store(1, Ordering::SeqCst);
            invalidate(&fence, &store);
            let held = *store.lock().unwrap();
            assert_ne!(
                held,
                Some(0),
                "a value read before the invalidation survived it"
            );
            loader.join().unwrap();
            let held = *store.lock().unwrap();
            assert_ne!(
                held,
                Some(0),
                "a value read before the invalidation was stored after it"
            );
        });
    }

    #[test]
    fn no_value_read_before_an_invalidation_survives_it() {
        race(7, |fence, store| {
            fence.write_key(&7_u64, || *store.lock().unwrap() = None)
        });
    }

    #[test]
    fn a_tag_invalidation_supersedes_loads_of_every_key() {
        race(7, |fence, store| {
            fence.write_all(|| *store.lock().unwrap() = None)
        });
    }
}
