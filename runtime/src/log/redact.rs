//! Redaction of sensitive fields: by name (case-insensitive substring) and by wrapper.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a redacted value prints as, in every format.
pub const REDACTED: &str = "***REDACTED***";

/// The field-name fragments redacted by default.
pub const DEFAULT_SENSITIVE: &[&str] = &[
    "password",
    "token",
    "api_key",
    "secret",
    "authorization",
    "credit_card",
    "ssn",
];

/// Decides which field names are sensitive: a name is when it contains one of the
/// fragments, ignoring ASCII case.
///
/// ```
/// use memotrace::log::Redactor;
/// let r = Redactor::default();
/// assert!(r.is_sensitive("user_Password"));
/// assert!(r.is_sensitive("X-API_KEY"));
/// assert!(!r.is_sensitive("user_id"));
/// let custom = Redactor::new(["pin"]);
/// assert!(custom.is_sensitive("card_pin") && !custom.is_sensitive("password"));
/// ```
#[derive(Clone, Debug)]
pub struct Redactor {
    fragments: Vec<Box<[u8]>>,
    /// Identifies these rules in the per-thread cache of `'static` names.
    id: u64,
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One slot of the per-thread cache of `'static` names: (rules id, address, length,
/// sensitive).
type Slot = (u64, usize, usize, bool);

const SLOTS: usize = 256;

thread_local! {
    /// Direct-mapped: a name's slot is picked from its address; a clash just recomputes.
    static CACHE: RefCell<[Slot; SLOTS]> = const { RefCell::new([(0, 0, 0, false); SLOTS]) };
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new(DEFAULT_SENSITIVE.iter().copied())
    }
}

impl Redactor {
    /// A redactor for exactly these fragments (an empty list redacts nothing by name).
    pub fn new<I, S>(fragments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self {
            fragments: fragments
                .into_iter()
                .map(|s| {
                    s.as_ref()
                        .to_ascii_lowercase()
                        .into_bytes()
                        .into_boxed_slice()
                })
                .filter(|f| !f.is_empty())
                .collect(),
            id: next_id(),
        }
    }

    /// Adds fragments to the list.
    #[must_use]
    pub fn with<I, S>(mut self, more: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.fragments.extend(Self::new(more).fragments);
        self.id = next_id();
        self
    }

    /// Whether a field called `name` must be redacted.
    pub fn is_sensitive(&self, name: &str) -> bool {
        let name = name.as_bytes();
        self.fragments
            .iter()
            .any(|frag| contains_ignore_case(name, frag))
    }

    /// [`is_sensitive`](Redactor::is_sensitive) for a `'static` name (field names of
    /// events and spans), remembered per thread so each name is scanned once.
    pub fn is_sensitive_static(&self, name: &'static str) -> bool {
        let addr = name.as_ptr() as usize;
        let slot = (addr >> 3 ^ addr >> 11 ^ name.len()) % SLOTS;
        CACHE
            .try_with(|c| {
                let mut cache = c.try_borrow_mut().ok()?;
                let entry = &mut cache[slot];
                if entry.0 == self.id && entry.1 == addr && entry.2 == name.len() {
                    return Some(entry.3);
                }
                let v = self.is_sensitive(name);
                *entry = (self.id, addr, name.len(), v);
                Some(v)
            })
            .ok()
            .flatten()
            .unwrap_or_else(|| self.is_sensitive(name))
    }

    /// Redacts sensitive keys anywhere inside a JSON value, in place.
    ///
    /// ```
    /// use memotrace::log::Redactor;
    /// let mut v = serde_json::json!({"user": {"name": "a", "Password": "hunter2"}, "list": [{"token": 1}]});
    /// Redactor::default().redact_json(&mut v);
    /// assert_eq!(v["user"]["Password"], "***REDACTED***");
    /// assert_eq!(v["list"][0]["token"], "***REDACTED***");
    /// assert_eq!(v["user"]["name"], "a");
    /// ```
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if self.is_sensitive(k) {
                        *v = serde_json::Value::String(REDACTED.to_owned());
                    } else {
                        self.redact_json(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            _ => {}
        }
    }
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    if needle.len() > haystack.len() {
        return false;
    }
    let first = needle[0];
    (0..=haystack.len() - needle.len()).any(|i| {
        haystack[i].to_ascii_lowercase() == first
            && haystack[i + 1..i + needle.len()]
                .iter()
                .zip(&needle[1..])
                .all(|(h, n)| h.to_ascii_lowercase() == *n)
    })
}

/// A value whose name says nothing about it but which must never be logged.
///
/// Prints `***REDACTED***` through `Debug` and `Display` (so `field = %value` and
/// `field = ?value` in `tracing` macros);
/// the inner value stays reachable in code through [`Redacted::into_inner`] or `Deref`.
///
/// ```
/// use memotrace::log::Redacted;
/// let card = Redacted::new("4111 1111 1111 1111");
/// assert_eq!(format!("{card} {card:?}"), "***REDACTED*** ***REDACTED***");
/// assert_eq!(card.len(), 19);
/// tracing::info!(card = %card, "charged"); // prints ***REDACTED***
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Redacted<T>(pub T);

impl<T> Redacted<T> {
    /// Wraps a value.
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The wrapped value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Redacted<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}
