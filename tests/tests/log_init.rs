//! `memotrace::log::init()` configured by the environment, observed from outside: runs
//! the `log_demo` binary and parses every stdout line.

use serde_json::Value;
use std::process::Command;

struct Run {
    stdout: String,
    stderr: String,
}

fn run(env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_log_demo"));
    for var in [
        "APP_ENV",
        "RUST_LOG",
        "MEMOTRACE_LOG_FORMAT",
        "NO_COLOR",
        "RUST_BACKTRACE",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("run log_demo");
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l:?}"))
        })
        .collect()
}

fn event<'a>(lines: &'a [Value], name: &str, key: &str) -> Option<&'a Value> {
    lines.iter().find(|l| l[key] == name)
}

#[test]
fn production_is_json_at_warn_with_redaction_and_panic_events() {
    let r = run(&[("APP_ENV", "production")]);
    let lines = json_lines(&r.stdout);
    assert!(!lines.is_empty(), "stderr: {}", r.stderr);
    for l in &lines {
        for key in [
            "timestamp",
            "level",
            "logger",
            "event",
            "service",
            "environment",
        ] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
        assert_eq!(l["environment"], "production");
        assert_eq!(l["service"], "log_demo");
        assert!(
            ["warning", "error"].contains(&l["level"].as_str().unwrap()),
            "{l}"
        );
    }
    assert!(
        event(&lines, "user_login", "event").is_none(),
        "info is filtered in production"
    );
    assert!(event(&lines, "debug_message", "event").is_none());
    let warn = event(&lines, "warning_message", "event").unwrap();
    assert_eq!(warn["api_key"], "***REDACTED***");
    assert_eq!(warn["request_id"], "req-789");
    assert_eq!(warn["user_id"], 123);
    let failed = lines
        .iter()
        .find(|l| l["event"] == "operation_failed" && l["operation"] == "charge")
        .unwrap();
    assert_eq!(failed["error_type"], "PaymentError");
    assert_eq!(failed["error"], "insufficient funds");
    assert!(
        failed.get("duration_ms").is_none(),
        "info is off and metrics are off: no clock read"
    );
    let panic = event(&lines, "panic", "event").unwrap();
    assert_eq!(panic["level"], "error");
    assert_eq!(panic["error"], "the worker found nothing");
    assert_eq!(panic["thread"], "worker");
    assert!(panic["location"].as_str().unwrap().contains("log_demo.rs"));
    assert!(
        r.stderr
            .contains("second init: error: logging is already initialised"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("dropped lines: 0"), "{}", r.stderr);
    assert!(!r.stdout.contains("hunter2") && !r.stdout.contains("k-1"));
}

#[test]
fn staging_is_json_at_info() {
    let r = run(&[("APP_ENV", "staging")]);
    let lines = json_lines(&r.stdout);
    let login = event(&lines, "user_login", "event").expect("info is on in staging");
    assert_eq!(login["password"], "***REDACTED***");
    assert_eq!(login["environment"], "staging");
    let done = event(&lines, "operation_completed", "event").unwrap();
    assert!(done["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        done["user_id"], 7,
        "the event's own field wins over the bound user_id"
    );
    assert!(event(&lines, "debug_message", "event").is_none());
}

#[test]
fn rust_log_overrides_the_filter() {
    let r = run(&[("APP_ENV", "production"), ("RUST_LOG", "debug")]);
    let lines = json_lines(&r.stdout);
    assert!(event(&lines, "debug_message", "event").is_some());
}

#[test]
fn format_can_be_forced_to_ecs() {
    let r = run(&[("APP_ENV", "production"), ("MEMOTRACE_LOG_FORMAT", "ecs")]);
    let lines = json_lines(&r.stdout);
    let failed = event(&lines, "operation_failed", "message").unwrap();
    assert_eq!(failed["log.level"], "error");
    assert_eq!(failed["error.type"], "PaymentError");
    assert_eq!(failed["error.message"], "insufficient funds");
    assert_eq!(failed["service.name"], "log_demo");
    assert_eq!(failed["service.environment"], "production");
    assert!(failed["process.pid"].is_u64());
    assert!(failed["ecs.version"].is_string());
    assert!(failed["@timestamp"].is_string());
}

#[test]
fn development_is_pretty_at_debug() {
    let r = run(&[("NO_COLOR", "1")]);
    assert!(
        r.stdout.contains("[debug    ] debug_message"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("password=***REDACTED***"), "{}", r.stdout);
    assert!(!r.stdout.contains("hunter2"));
    assert!(!r.stdout.contains('\x1b'));
}

#[test]
fn bad_values_fall_back_with_one_warning_naming_them() {
    let r = run(&[
        ("APP_ENV", "qa-cluster"),
        ("RUST_LOG", "info,[[bad"),
        ("MEMOTRACE_LOG_FORMAT", "json"),
    ]);
    let lines = json_lines(&r.stdout);
    let warnings: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "invalid_log_config")
        .collect();
    assert_eq!(warnings.len(), 2, "{}", r.stdout);
    assert!(warnings.iter().any(|w| w["problem"]
        .as_str()
        .unwrap()
        .contains("APP_ENV=\"qa-cluster\"")));
    assert!(warnings.iter().any(|w| w["problem"]
        .as_str()
        .unwrap()
        .contains("RUST_LOG=\"info,[[bad\"")));
    // Fallback: development defaults (debug) for the filter.
    assert!(event(&lines, "debug_message", "event").is_some());
    assert_eq!(lines[0]["environment"], "development");

    let r = run(&[("APP_ENV", "production"), ("MEMOTRACE_LOG_FORMAT", "xml")]);
    let lines = json_lines(&r.stdout);
    let w: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "invalid_log_config")
        .collect();
    assert_eq!(w.len(), 1);
    assert!(w[0]["problem"].as_str().unwrap().contains("\"xml\""));
}
