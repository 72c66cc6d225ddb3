//! Key layout in Redis. Every key is printable:
//!
//! | what | key | slot (cluster) |
//! |---|---|---|
//! | entry | `[{prefix}:]{namespace}:v{version}:{name}:{args}` | from the whole key: entries spread over every primary |
//! | tag set | `[{prefix}:]{namespace}:v{version}:{name}:#tag:{{tag}}` | the tag's: one slot per tag |
//! | load lock | `{{<entry key>}}:lock` | the entry's (hash tag = the entry key) |
//! | refresh lock | `{{<entry key>}}:refresh` | the entry's |
//!
//! `{prefix}` is [`RedisConfig::key_prefix`](super::RedisConfig::key_prefix) (e.g. the
//! environment), `{namespace}` and `{version}` come from `namespace = ".."` / `version =
//! N` (defaults `memotrace` and [`DEFAULT_VERSION`]: bumping the version orphans old
//! entries), `{name}` is the cache's name (the fn's path unless `name = ".."`), `{args}` is
//! the rendered key template (its values escaped by [`KeyPart`](crate::cache::KeyPart)), or
//! [`args_key`] of the arguments. A lock key wraps the entry key in a hash
//! tag, so the entry and its lock live in one slot and "store the value and release the
//! lock" is one script call. When the entry key already has a hash tag `{x}`, the lock is
//! `{x}:lock:<entry key>`: same slot again.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The default namespace when a cache sets none.
pub const DEFAULT_NAMESPACE: &str = "memotrace";

/// The key version when a cache sets none. It is 2 since long argument keys are SHA-256
/// hashes and template values are escaped: entries written by releases that used `v1`
/// keys are never read.
pub const DEFAULT_VERSION: u32 = 2;

/// The keys of one cache: everything starts with its base `[{prefix}:]{ns}:v{ver}:{name}`.
///
/// ```
/// use memotrace::cache::redis::KeySpace;
///
/// let keys = KeySpace::new(Some("prod"), "users", 2, "get_user");
/// assert_eq!(keys.entry("42"), "prod:users:v2:get_user:42");
/// assert_eq!(keys.tag_set("user:42"), "prod:users:v2:get_user:#tag:{user:42}");
/// assert_eq!(keys.pattern("4*"), "prod:users:v2:get_user:4*");
/// ```
#[derive(Clone, Debug)]
pub struct KeySpace {
    base: String,
}

impl KeySpace {
    /// The key space of cache `name`.
    pub fn new(prefix: Option<&str>, namespace: &str, version: u32, name: &str) -> Self {
        let base = match prefix {
            Some(p) if !p.is_empty() => format!("{p}:{namespace}:v{version}:{name}"),
            _ => format!("{namespace}:v{version}:{name}"),
        };
        Self { base }
    }

    /// `{base}`, the part every key of the cache starts with.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The key of the entry for `args`.
    pub fn entry(&self, args: &str) -> String {
        let mut key = String::with_capacity(self.base.len() + 1 + args.len());
        key.push_str(&self.base);
        key.push(':');
        key.push_str(args);
        key
    }

    /// The set of entry keys carrying `tag`.
    pub fn tag_set(&self, tag: &str) -> String {
        format!("{}:#tag:{{{tag}}}", self.base)
    }

    /// A SCAN `MATCH` pattern over this cache's keys: `pattern` is a glob over `{args}`.
    pub fn pattern(&self, pattern: &str) -> String {
        format!("{}:{pattern}", glob_escape(&self.base))
    }

    /// The pattern matching every key of the cache (entries and tag sets).
    pub fn all(&self) -> String {
        self.pattern("*")
    }
}

/// Escapes glob metacharacters (`*?[]\`) so `text` matches itself in `SCAN MATCH`.
pub(crate) fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The part of `key` Redis Cluster hashes: the content of the first `{..}` when it is
/// non-empty, else the whole key.
pub(crate) fn hash_tag(key: &str) -> &str {
    if let Some(open) = key.find('{') {
        if let Some(len) = key[open + 1..].find('}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

fn in_slot_of(key: &str, suffix: &str) -> String {
    let tag = hash_tag(key);
    if tag.len() == key.len() && !key.contains('}') {
        format!("{{{key}}}:{suffix}")
    } else if tag.len() != key.len() {
        format!("{{{tag}}}:{suffix}:{key}")
    } else {
        // A key with a `}` but no hash tag cannot be wrapped; the lock then lives in its
        // own slot and is released by a separate call.
        format!("{key}:{suffix}")
    }
}

/// The distributed load lock of entry `key` (same cluster slot as the entry, except for
/// keys holding an unmatched `}`).
pub fn lock_key(key: &str) -> String {
    in_slot_of(key, "lock")
}

/// The refresh-ahead lock of entry `key`.
pub(crate) fn refresh_key(key: &str) -> String {
    in_slot_of(key, "refresh")
}

/// Whether [`lock_key`]`(key)` hashes to the same slot as `key`.
pub(crate) fn lock_shares_slot(key: &str) -> bool {
    let lock = lock_key(key);
    hash_tag(&lock) == hash_tag(key)
}

/// A stable, printable key part for arguments that have no template: their JSON when it
/// is at most 64 bytes of printable ASCII, else `h` and the 64 hex digits of the SHA-256
/// of the JSON. JSON never starts with `h`, so the two forms cannot meet; arguments are
/// often user input, and a cryptographic hash keeps anyone from making two argument sets
/// share an entry. The key does not depend on the process, the platform or the Rust
/// version.
///
/// ```
/// use memotrace::__private::args_key;
///
/// assert_eq!(args_key(&(7, "bob")), r#"[7,"bob"]"#);
/// assert_eq!(args_key(&42), "42");
/// let long = args_key(&"x".repeat(200));
/// assert!(long.starts_with('h') && long.len() == 65);
/// ```
pub fn args_key<T: Serialize + ?Sized>(args: &T) -> String {
    let json = serde_json::to_string(args).unwrap_or_default();
    if json.len() <= 64 && json.bytes().all(|b| b.is_ascii_graphic()) {
        return json;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(json.as_bytes());
    let mut key = String::with_capacity(1 + 2 * digest.len());
    key.push('h');
    for byte in digest {
        key.push(char::from(HEX[usize::from(byte >> 4)]));
        key.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_share_the_slot() {
        assert_eq!(hash_tag("a:{user:1}:b"), "user:1");
        assert_eq!(hash_tag("a:{}:b"), "a:{}:b");
        assert_eq!(lock_key("a:{u}:b"), "{u}:lock:a:{u}:b");
        assert!(lock_shares_slot("plain:key"));
        assert!(lock_shares_slot("a:{u}:b"));
        assert!(!lock_shares_slot("odd}key"));
        assert_eq!(glob_escape("a*b?[c]"), "a\\*b\\?\\[c\\]");
    }
}
