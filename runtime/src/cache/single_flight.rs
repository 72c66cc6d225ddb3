//! In-process single-flight for stores without a built-in placeholder (moka, and the
//! shared stores): the first caller of a key leads, the others wait on an event that the
//! leader's guard fires when it is dropped — filled, failed, panicked or cancelled alike.

use event_listener::{Event, EventListener};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// The keys being loaded right now.
pub(crate) struct Flights<K> {
    in_flight: Mutex<HashMap<K, Arc<Event>>>,
}

/// Outcome of [`Flights::join`].
pub(crate) enum Joined<'a, K: Hash + Eq> {
    /// This caller loads; dropping the guard wakes the waiters.
    Leader(FlightGuard<'a, K>),
    /// Another caller loads; wait on the listener, then look again.
    Waiter(EventListener),
}

/// Held by the loading caller.
pub(crate) struct FlightGuard<'a, K: Hash + Eq> {
    flights: &'a Flights<K>,
    key: Option<K>,
}

impl<K: Hash + Eq> Default for Flights<K> {
    fn default() -> Self {
        Self {
            in_flight: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq> Flights<K> {
    /// Leads the load of `key`, or listens for the current leader.
    pub(crate) fn join<Q>(&self, key: &Q) -> Joined<'_, K>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let mut map = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(event) = map.get(key) {
            // Listening under the lock: the leader cannot notify before we listen.
            return Joined::Waiter(event.listen());
        }
        map.insert(key.to_owned(), Arc::new(Event::new()));
        Joined::Leader(FlightGuard {
            flights: self,
            key: Some(key.to_owned()),
        })
    }
}

impl<K: Hash + Eq> FlightGuard<'_, K> {
    /// The key this guard leads.
    pub(crate) fn key(&self) -> &K {
        self.key.as_ref().expect("key present until drop")
    }
}

impl<K: Hash + Eq> Drop for FlightGuard<'_, K> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let event = self
            .flights
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
        if let Some(event) = event {
            event.notify(usize::MAX);
        }
    }
}
