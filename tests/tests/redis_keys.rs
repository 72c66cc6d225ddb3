//! Keys that two different argument sets can never share: long default keys are a
//! SHA-256 of the arguments' JSON, and template values are escaped so that a value
//! holding the separator cannot shift the fields of a key or tag. Memory store and a real
//! redis-server.

use memotrace::__private::args_key;
use memotrace::cache::KeyPart;
use memotrace_tests::redis_harness::{default_backend_server, RedisServer};
use std::collections::HashSet;

/// `sha256sum` of `"x" * 200` as JSON (202 bytes, quotes included).
const X200_SHA256: &str = "9d9613fcb584b20b2112de8c1c205f035ea77c39c28d51b27949e7cc50029d7b";
/// The arguments of `search` below, as JSON, and their `sha256sum`.
const SEARCH_JSON: &str =
    r#"["alice@example.com","rust async cache invalidation across many processes",20]"#;
const SEARCH_SHA256: &str = "d6ce93e2b18617fa13d1d07dd876108d15a62e671d5ea2b8fc40d57ad42a17ec";
const EMAIL: &str = "alice@example.com";
const QUERY: &str = "rust async cache invalidation across many processes";

/// Pins the hash: any other function (the two 64-bit FNV-1a lanes used before, or a
/// truncated digest) fails here. A weak hash cannot be caught by looking for collisions
/// in a test-sized sample, so the exact function is what is asserted.
#[test]
fn long_keys_are_the_sha256_of_the_arguments_json() {
    assert_eq!(args_key(&"x".repeat(200)), format!("h{X200_SHA256}"));
    let args = (EMAIL, QUERY, 20);
    assert_eq!(serde_json::to_string(&args).unwrap(), SEARCH_JSON);
    assert_eq!(args_key(&args), format!("h{SEARCH_SHA256}"));
}

/// The two FNV-1a lanes of the earlier scheme, to show that no part of a key comes from
/// them any more.
fn fnv_lanes(json: &str) -> (String, String) {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x6c62_272e_07bb_0142;
    for byte in json.bytes() {
        a = (a ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        b = (b ^ u64::from(byte))
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(5);
    }
    (format!("{a:016x}"), format!("{b:016x}"))
}

#[test]
fn long_keys_carry_256_bits_and_no_fnv() {
    for n in [65usize, 100, 1_000, 100_000] {
        let input = "q".repeat(n);
        let key = args_key(&input);
        assert_eq!(key.len(), 65, "h + 64 hex digits: {key}");
        assert!(key.starts_with('h'));
        assert!(key[1..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let (a, b) = fnv_lanes(&serde_json::to_string(&input).unwrap());
        assert!(
            !key.contains(&a) && !key.contains(&b),
            "{key} holds an FNV lane"
        );
    }
    // Short printable JSON stays readable; JSON never starts with `h`, so the two forms
    // never meet.
    assert_eq!(args_key(&("bob", 7)), r#"["bob",7]"#);
    assert_eq!(args_key(&"has space").len(), 65);
}

/// Property over a generated set: inputs that differ in one byte anywhere (start, middle,
/// end), in length, or only past the 64th byte all get different keys.
#[test]
fn distinct_long_inputs_get_distinct_keys() {
    let base: Vec<u8> = (0..96u8).map(|i| b'a' + i % 26).collect();
    let mut inputs = HashSet::new();
    for pos in 0..base.len() {
        for c in b' '..=b'~' {
            let mut v = base.clone();
            v[pos] = c;
            inputs.insert(String::from_utf8(v).unwrap());
        }
    }
    for len in 65..400 {
        inputs.insert("z".repeat(len));
    }
    let keys: HashSet<String> = inputs.iter().map(args_key).collect();
    assert!(inputs.len() > 9_000);
    assert_eq!(keys.len(), inputs.len(), "two inputs share a key");
}

// Memory store: a value holding `:` must not move into the next field.
#[memotrace::cached(key = "user:{a}:{b}", tags = ["pair:{a}:{b}"])]
fn joined(a: String, b: String) -> String {
    format!("{a}|{b}")
}

#[tokio::test]
async fn template_values_with_separators_get_their_own_entry_in_memory() {
    assert_eq!(joined("1:2".into(), "3".into()), "1:2|3");
    assert_eq!(joined("1".into(), "2:3".into()), "1|2:3");
    assert_eq!(joined("1%3A2".into(), "3".into()), "1%3A2|3");
    assert_eq!(joined("1:2".into(), "3".into()), "1:2|3");
    // Tags render the same way; KeyPart names one of them.
    let tag = format!("pair:{}:{}", KeyPart("1:2"), KeyPart("3"));
    assert_eq!(tag, "pair:1%3A2:3");
    assert_eq!(memotrace::cache::invalidate_tag(&tag).await, 1);
    assert_eq!(memotrace::cache::invalidate_tag("pair:1:2:3").await, 0);
}

fn server() -> &'static RedisServer {
    default_backend_server("keys")
}

#[memotrace::cached(store = redis, key = "user:{a}:{b}", tags = ["rpair:{a}:{b}"], name = "rjoined")]
async fn rjoined(a: String, b: String) -> String {
    format!("{a}|{b}")
}

#[memotrace::cached(store = redis, name = "search")]
async fn search(email: String, query: String, page: u32) -> String {
    format!("{email}:{query}#{page}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_values_with_separators_get_their_own_entry_in_redis() {
    let server = server();
    assert_eq!(rjoined("1:2".into(), "3".into()).await, "1:2|3");
    assert_eq!(rjoined("1".into(), "2:3".into()).await, "1|2:3");
    assert_eq!(rjoined("1:2".into(), "3".into()).await, "1:2|3");
    assert_eq!(
        server.cli(&["EXISTS", "keys:memotrace:v2:rjoined:user:1%3A2:3"]),
        "1"
    );
    assert_eq!(
        server.cli(&["EXISTS", "keys:memotrace:v2:rjoined:user:1:2%3A3"]),
        "1"
    );
    let tag = format!("rpair:{}:{}", KeyPart("1"), KeyPart("2:3"));
    assert_eq!(memotrace::cache::invalidate_tag(&tag).await, 1);
    assert_eq!(
        server.cli(&["EXISTS", "keys:memotrace:v2:rjoined:user:1:2%3A3"]),
        "0"
    );
    assert_eq!(rjoined("1:2".into(), "3".into()).await, "1:2|3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_default_keys_in_redis_are_hashed() {
    let server = server();
    let found = search(EMAIL.into(), QUERY.into(), 20).await;
    assert_eq!(found, format!("{EMAIL}:{QUERY}#20"));
    let key = format!("keys:memotrace:v2:search:h{SEARCH_SHA256}");
    assert_eq!(server.cli(&["EXISTS", &key]), "1", "{key}");
}
