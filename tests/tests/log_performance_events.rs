//! `#[log_performance]` events: messages, levels and fields for each outcome.

use memotrace::log_performance;
use memotrace_tests::capture::Capture;
use serde_json::Value;
use std::fmt;

#[derive(Debug)]
struct NotFound(u32);

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "user {} not found", self.0)
    }
}

impl std::error::Error for NotFound {}

#[log_performance(level = "info")]
fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[log_performance(name = "find_user", level = "info", fields(id, tenant = tenant.to_uppercase()))]
fn find(id: u32, tenant: &str) -> Result<String, NotFound> {
    if id == 0 {
        Err(NotFound(id))
    } else {
        Ok(format!("{tenant}:{id}"))
    }
}

#[log_performance]
fn boom(x: u32) -> u32 {
    assert!(x > 100, "x too small: {x}");
    x
}

#[test]
fn success_has_operation_duration_and_success() {
    let cap = Capture::json();
    assert_eq!(cap.run(|| add(2, 3)), 5);
    let line = cap.one("operation_completed");
    assert_eq!(line["level"], "info");
    assert_eq!(line["operation"], "add");
    assert_eq!(line["success"], true);
    assert!(line["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(line["logger"], "log_performance_events");
    assert!(line.get("slow").is_none());
}

#[test]
fn err_is_operation_failed_with_type_and_display() {
    let cap = Capture::json();
    assert!(cap.run(|| find(0, "acme")).is_err());
    let line = cap.one("operation_failed");
    assert_eq!(line["level"], "error");
    assert_eq!(line["operation"], "find_user");
    assert_eq!(line["success"], false);
    assert_eq!(line["error_type"], "NotFound");
    assert_eq!(line["error"], "user 0 not found");
    assert!(line["duration_ms"].is_number());
    assert_eq!(line["id"], 0);
    assert_eq!(line["tenant"], "ACME");
    assert!(cap.events("operation_completed").is_empty());
}

#[test]
fn fields_are_recorded_on_success() {
    let cap = Capture::json();
    assert_eq!(cap.run(|| find(7, "acme")).unwrap(), "acme:7");
    let line = cap.one("operation_completed");
    assert_eq!(line["id"], 7);
    assert_eq!(line["tenant"], "ACME");
}

#[test]
fn panic_is_logged_then_resumed() {
    let cap = Capture::json();
    let result = cap.run(|| std::panic::catch_unwind(|| boom(1)));
    assert!(result.is_err(), "the panic must continue");
    let line = cap.one("operation_failed");
    assert_eq!(line["level"], "error");
    assert_eq!(line["error_type"], "panic");
    assert_eq!(line["success"], false);
    assert_eq!(line["operation"], "boom");
    assert!(cap.events("operation_completed").is_empty());
}

#[test]
fn disabled_level_emits_nothing() {
    let cap = Capture::with(|b| b.format(memotrace::log::Format::Json).filter("info"));
    assert_eq!(cap.run(|| boom(200)), 200);
    assert!(cap.lines().is_empty(), "{}", cap.text());
}

#[test]
fn no_subscriber_still_runs() {
    assert_eq!(add(1, 1), 2);
    assert_eq!(find(3, "x").unwrap(), "x:3");
}

fn _assert_value(_: Value) {}

#[test]
fn a_target_filter_disables_timing_precisely() {
    // The global max level is trace, but this module is at warn: `find` (info) is not
    // timed, so its failure event carries no duration — a level-only check would have
    // read the clock.
    let cap = Capture::with(|b| {
        b.format(memotrace::log::Format::Json)
            .filter("trace,log_performance_events=warn")
    });
    assert!(cap.run(|| find(0, "acme")).is_err());
    let line = cap.one("operation_failed");
    assert!(line.get("duration_ms").is_none(), "{line}");
    assert_eq!(line["error"], "user 0 not found");
    assert!(cap.run(|| find(1, "acme")).is_ok());
    assert!(cap.events("operation_completed").is_empty());
}

#[log_performance(level = "info", fields(r#type = kind))]
fn typed(kind: &str) -> usize {
    kind.len()
}

#[test]
fn a_raw_identifier_field_is_named_without_its_prefix() {
    let cap = Capture::json();
    assert_eq!(cap.run(|| typed("admin")), 5);
    let line = cap.one("operation_completed");
    assert_eq!(line["type"], "admin");
    assert!(line.get("r#type").is_none());
}
