//! Return types `#[cached]` accepts: `'static` borrows are values like any other, and
//! `Result` / `Option` keep their meaning (only `Ok` / `Some` are stored).

use memotrace::cached;
use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

static PARSES: AtomicUsize = AtomicUsize::new(0);

#[cached]
fn parse_port(text: &str) -> Result<u16, &'static str> {
    PARSES.fetch_add(1, Ordering::SeqCst);
    text.parse().map_err(|_| "not a port")
}

#[test]
fn result_with_a_static_str_error_caches_ok_only() {
    assert_eq!(parse_port("80"), Ok(80));
    assert_eq!(parse_port("80"), Ok(80));
    assert_eq!(parse_port("x"), Err("not a port"));
    assert_eq!(parse_port("x"), Err("not a port"));
    assert_eq!(
        PARSES.load(Ordering::SeqCst),
        3,
        "one load for 80, every `x` runs"
    );
    assert_eq!(parse_port_cache().stats().hits, 1);
}

static NAMES: AtomicUsize = AtomicUsize::new(0);

#[cached]
fn level_name(level: u8) -> &'static str {
    NAMES.fetch_add(1, Ordering::SeqCst);
    match level {
        0 => "debug",
        _ => "info",
    }
}

#[cached]
fn greeting(formal: bool) -> Cow<'static, str> {
    if formal {
        Cow::Borrowed("Good day")
    } else {
        Cow::Owned(format!("hi {}", 1))
    }
}

#[test]
fn static_str_and_static_cow_values_are_cached() {
    assert_eq!(level_name(0), "debug");
    assert_eq!(level_name(0), "debug");
    assert_eq!(NAMES.load(Ordering::SeqCst), 1);
    assert_eq!(greeting(true), "Good day");
    assert_eq!(greeting(false), "hi 1");
    assert_eq!(greeting(false), "hi 1");
    assert_eq!(greeting_cache().stats().hits, 1);
}
