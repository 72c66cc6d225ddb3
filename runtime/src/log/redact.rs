//! Redaction of sensitive fields: by name (normalised, see [`Redactor`]), inside JSON and
//! free text (see [`Redactor::mask_text`]), and by wrapper ([`Redacted`]).

use aho_corasick::AhoCorasick;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What a redacted value prints as, in every format.
pub const REDACTED: &str = "***REDACTED***";

/// How a listed name is compared with a field name, both normalised (ASCII letters and
/// digits only, lowercased: `X-Api-Key`, `api_key` and `apiKey` all read `apikey`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameMatch {
    /// Anywhere in the name: `password` hides `user_password` and `passwordHash`.
    Contains,
    /// One whole word of the name (words are split at `_`, `-`, `.`, spaces and
    /// lower-to-upper case changes): `ssn` hides `user_ssn` and `ssnLast4` but not
    /// `class_name` (whose letters contain `ssn`).
    Word,
    /// The whole name: `session` hides `session` and `Session` but not `session_id`.
    Exact,
}

/// The names redacted by default, with how each is matched.
///
/// Short names match whole words only (`pwd`, `ssn`), and `session` / `auth` match the
/// whole name only, so `class_name`, `session_id` or `author` stay visible.
pub const DEFAULT_SENSITIVE: &[(&str, NameMatch)] = &[
    ("password", NameMatch::Contains),
    ("passwd", NameMatch::Contains),
    ("passphrase", NameMatch::Contains),
    ("pwd", NameMatch::Word),
    ("secret", NameMatch::Contains),
    ("token", NameMatch::Contains),
    ("api_key", NameMatch::Contains),
    ("access_key", NameMatch::Contains),
    ("private_key", NameMatch::Contains),
    ("credential", NameMatch::Contains),
    ("authorization", NameMatch::Contains),
    ("auth", NameMatch::Exact),
    ("bearer", NameMatch::Contains),
    ("jwt", NameMatch::Contains),
    ("cookie", NameMatch::Contains),
    ("session", NameMatch::Exact),
    ("credit_card", NameMatch::Contains),
    ("card_number", NameMatch::Contains),
    ("cvv", NameMatch::Contains),
    ("ssn", NameMatch::Word),
];

/// Decides which field names are sensitive, and masks what they hold in JSON and free
/// text.
///
/// Names are compared normalised: only ASCII letters and digits, lowercased, so snake,
/// camel and kebab case are one name (`api_key` = `apiKey` = `X-API-KEY`). Each listed
/// name has a [`NameMatch`]; [`DEFAULT_SENSITIVE`] is the default list.
///
/// ```
/// use memotrace::log::{NameMatch, Redactor};
/// let r = Redactor::default();
/// assert!(r.is_sensitive("user_Password"));
/// assert!(r.is_sensitive("x-api-key") && r.is_sensitive("apiKey"));
/// assert!(r.is_sensitive("user_ssn") && !r.is_sensitive("class_name"));
/// assert!(!r.is_sensitive("user_id") && !r.is_sensitive("session_id"));
/// let custom = Redactor::default().with(["pin"]).without(["session"]);
/// assert!(custom.is_sensitive("card_pin") && !custom.is_sensitive("session"));
/// let exact = Redactor::new(["pin"]).with_match(["user"], NameMatch::Exact);
/// assert!(exact.is_sensitive("user") && !exact.is_sensitive("user_id") && !exact.is_sensitive("password"));
/// ```
#[derive(Clone)]
pub struct Redactor {
    rules: Vec<(Box<str>, NameMatch)>,
    /// Every rule's name, as one automaton whose pattern ids index `rules` (`None` when
    /// there are none): a name no rule occurs in is cleared in one scan.
    automaton: Option<Arc<AhoCorasick>>,
    /// Identifies these rules in the per-thread cache of `'static` names.
    id: u64,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.rules.iter().map(|(n, m)| (n, m)))
            .finish()
    }
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
        Self::from_rules(
            DEFAULT_SENSITIVE
                .iter()
                .map(|&(name, how)| (normalise(name).into_boxed_str(), how))
                .collect(),
        )
    }
}

/// `name` with only its ASCII letters and digits, lowercased.
fn normalise(name: &str) -> String {
    name.bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect()
}

impl Redactor {
    /// A redactor for exactly these names, each matched anywhere in a field name
    /// ([`NameMatch::Contains`]); an empty list redacts nothing by name. Bearer tokens,
    /// JWTs and URL passwords in text are masked whatever the list.
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::from_rules(Vec::new()).with(names)
    }

    fn from_rules(mut rules: Vec<(Box<str>, NameMatch)>) -> Self {
        rules.retain(|(n, _)| !n.is_empty());
        let automaton = (!rules.is_empty())
            .then(|| AhoCorasick::new(rules.iter().map(|(n, _)| &**n)).ok())
            .flatten()
            .map(Arc::new);
        Self {
            rules,
            automaton,
            id: next_id(),
        }
    }

    /// Adds names, each matched anywhere in a field name ([`NameMatch::Contains`]).
    #[must_use]
    pub fn with<I, S>(self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.with_match(names, NameMatch::Contains)
    }

    /// Adds names matched as `how` says.
    #[must_use]
    pub fn with_match<I, S>(self, names: I, how: NameMatch) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut rules = self.rules;
        for name in names {
            let name = normalise(name.as_ref());
            rules.retain(|(n, _)| **n != *name);
            rules.push((name.into_boxed_str(), how));
        }
        Self::from_rules(rules)
    }

    /// Removes names from the list (compared normalised: `without(["api-key"])` removes
    /// `api_key`).
    #[must_use]
    pub fn without<I, S>(self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let gone: Vec<String> = names.into_iter().map(|n| normalise(n.as_ref())).collect();
        let mut rules = self.rules;
        rules.retain(|(n, _)| !gone.iter().any(|g| **g == **n));
        Self::from_rules(rules)
    }

    /// The listed names (normalised) and how each is matched.
    pub fn names(&self) -> impl Iterator<Item = (&str, NameMatch)> {
        self.rules.iter().map(|(n, how)| (&**n, *how))
    }

    /// Whether a field called `name` must be redacted.
    pub fn is_sensitive(&self, name: &str) -> bool {
        let mut inline = [0_u8; 64];
        let mut spill = Vec::new();
        let normalised: &[u8] = if name.len() <= inline.len() {
            let mut len = 0;
            for b in name.bytes().filter(u8::is_ascii_alphanumeric) {
                inline[len] = b.to_ascii_lowercase();
                len += 1;
            }
            &inline[..len]
        } else {
            spill.extend(
                name.bytes()
                    .filter(u8::is_ascii_alphanumeric)
                    .map(|b| b.to_ascii_lowercase()),
            );
            &spill
        };
        let Some(automaton) = &self.automaton else {
            return false;
        };
        automaton.find_overlapping_iter(normalised).any(|m| {
            let (rule, how) = &self.rules[m.pattern().as_usize()];
            match how {
                NameMatch::Contains => true,
                NameMatch::Exact => m.len() == normalised.len(),
                NameMatch::Word => words(name).any(|w| w.eq_ignore_ascii_case(rule)),
            }
        })
    }

    /// [`is_sensitive`](Redactor::is_sensitive) for a `'static` name (field names of
    /// events and spans), remembered per thread so each name is checked once.
    #[inline]
    pub fn is_sensitive_static(&self, name: &'static str) -> bool {
        let addr = name.as_ptr() as usize;
        // Fibonacci hashing of the address: neighbouring literals land far apart.
        let mixed =
            (addr ^ name.len().rotate_left(48)).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize);
        let slot = mixed >> (usize::BITS - SLOTS.trailing_zeros());
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

    /// Redacts sensitive keys anywhere inside a JSON value, and masks the strings it
    /// holds as [`mask_text`](Redactor::mask_text) does, in place.
    ///
    /// ```
    /// use memotrace::log::Redactor;
    /// let mut v = serde_json::json!({"user": {"name": "a", "Password": "hunter2"}, "list": [{"apiKey": 1}], "note": "token=abc"});
    /// Redactor::default().redact_json(&mut v);
    /// assert_eq!(v["user"]["Password"], "***REDACTED***");
    /// assert_eq!(v["list"][0]["apiKey"], "***REDACTED***");
    /// assert_eq!(v["note"], "token=***REDACTED***");
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
            serde_json::Value::String(s) => {
                if let Cow::Owned(masked) = self.mask_text(s) {
                    *s = masked;
                }
            }
            _ => {}
        }
    }

    /// Masks the values of sensitive names inside free text: `name=value`,
    /// `name: value`, `"name": "value"`, `name => value` (Debug-formatted structs and
    /// maps, JSON, query strings, headers, error messages), the token after
    /// `Bearer`/`Basic` and other authorization schemes, bare JWTs (`eyJ…`) and the
    /// password of a URL (`scheme://user:password@host`). Text with nothing to mask is
    /// returned borrowed.
    ///
    /// ```
    /// use memotrace::log::Redactor;
    /// let r = Redactor::default();
    /// assert_eq!(r.mask_text("login failed: password=hunter2 user=ann"), "login failed: password=***REDACTED*** user=ann");
    /// assert_eq!(r.mask_text(r#"Config { host: "db", apiKey: "k-1" }"#), r#"Config { host: "db", apiKey: "***REDACTED***" }"#);
    /// assert_eq!(r.mask_text("Authorization: Bearer abc.def"), "Authorization: Bearer ***REDACTED***");
    /// assert_eq!(r.mask_text("redis://app:hunter2@cache:6379"), "redis://app:***REDACTED***@cache:6379");
    /// assert!(matches!(r.mask_text("GET /home 200"), std::borrow::Cow::Borrowed(_)));
    /// ```
    pub fn mask_text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        super::mask::mask(self, text)
    }
}

/// The words of a name: split at anything but ASCII letters and digits, and where a
/// lowercase letter or digit is followed by an uppercase one (`apiKey` → `api`, `Key`).
pub(crate) fn words(name: &str) -> impl Iterator<Item = &str> {
    let bytes = name.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let b = bytes[i];
            if !b.is_ascii_alphanumeric() {
                let word = &name[start..i];
                i += 1;
                start = i;
                if !word.is_empty() {
                    return Some(word);
                }
                continue;
            }
            let split = i > start
                && b.is_ascii_uppercase()
                && (bytes[i - 1].is_ascii_lowercase() || bytes[i - 1].is_ascii_digit());
            if split {
                let word = &name[start..i];
                start = i;
                i += 1;
                return Some(word);
            }
            i += 1;
        }
        let word = &name[start.min(bytes.len())..];
        start = bytes.len() + 1;
        (!word.is_empty()).then_some(word)
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

#[cfg(test)]
mod tests {
    use super::{words, NameMatch, Redactor};

    #[test]
    fn cached_static_checks_agree_and_are_per_rules() {
        const NAMES: &[&str] = &[
            "operation",
            "duration_ms",
            "success",
            "password",
            "user_token",
            "request_id",
            "Authorization",
            "ssn",
            "message",
            "service",
            "api_key",
            "secret_sauce",
            "credit_card_number",
            "user_id",
        ];
        let default = Redactor::default();
        let custom = Redactor::new(["user"]);
        for _ in 0..3 {
            for name in NAMES {
                assert_eq!(
                    default.is_sensitive_static(name),
                    default.is_sensitive(name),
                    "{name}"
                );
                assert_eq!(
                    custom.is_sensitive_static(name),
                    custom.is_sensitive(name),
                    "{name}"
                );
            }
        }
        assert!(custom.is_sensitive_static("user_id") && !default.is_sensitive_static("user_id"));
        assert!(default.is_sensitive_static("password") && !custom.is_sensitive_static("password"));
    }

    #[test]
    fn names_match_across_snake_camel_and_kebab_case() {
        let r = Redactor::default();
        for name in [
            "password",
            "PASSWORD",
            "userPassword",
            "passwd",
            "pwd",
            "db_pwd",
            "PWD",
            "secret",
            "client_secret",
            "refresh_token",
            "accessToken",
            "api_key",
            "apiKey",
            "x-api-key",
            "X-API-KEY",
            "authorization",
            "Proxy-Authorization",
            "bearer",
            "credit_card",
            "creditCard",
            "card_number",
            "cardNumber",
            "cvv",
            "ssn",
            "user_ssn",
            "userSSN",
            "private_key",
            "privateKey",
            "cookie",
            "set-cookie",
            "Set-Cookie",
            "session",
            "Session",
            "jwt",
            "id_jwt",
            "aws_access_key_id",
            "credentials",
            "auth",
            "passphrase",
            "user.password",
        ] {
            assert!(r.is_sensitive(name), "{name} should be sensitive");
        }
        for name in [
            "user_id",
            "session_id",
            "sessionCount",
            "class_name",
            "business_name",
            "author",
            "authority",
            "page",
            "cwd_path_length",
            "request_id",
            "duration_ms",
            "keyboard",
            "",
            "__",
        ] {
            assert!(!r.is_sensitive(name), "{name} should not be sensitive");
        }
    }

    #[test]
    fn names_are_added_and_removed_normalised() {
        let r = Redactor::default()
            .with(["my-field"])
            .without(["Session", "API-KEY"]);
        assert!(r.is_sensitive("myField") && r.is_sensitive("x_my_field_y"));
        assert!(!r.is_sensitive("session") && !r.is_sensitive("apiKey"));
        assert!(r.is_sensitive("password"));
        let r = r.with_match(["tenant"], NameMatch::Word);
        assert!(r.is_sensitive("tenant_id") && !r.is_sensitive("tenants"));
        assert!(r
            .names()
            .any(|(n, how)| n == "myfield" && how == NameMatch::Contains));
    }

    #[test]
    fn words_split_at_separators_and_case_changes() {
        let split = |s| words(s).collect::<Vec<_>>();
        assert_eq!(split("apiKey"), ["api", "Key"]);
        assert_eq!(split("x-api_key.v2"), ["x", "api", "key", "v2"]);
        assert_eq!(split("userSSN"), ["user", "SSN"]);
        assert_eq!(split("__a__"), ["a"]);
        assert!(split("").is_empty());
        assert_eq!(split("plain"), ["plain"]);
    }
}
