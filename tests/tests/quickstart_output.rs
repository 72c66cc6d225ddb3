//! The main demo's stdout, as a log shipper sees it: run the quickstart binary (built by
//! `cargo test` next to this test) under each environment and parse every line.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn quickstart() -> PathBuf {
    let mut dir = std::env::current_exe().expect("test binary path");
    dir.pop(); // deps/
    dir.pop(); // the profile directory
    let exe = dir
        .join("examples")
        .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX));
    assert!(
        exe.exists(),
        "{} is missing: run the tests with `cargo test --workspace`, which builds the examples",
        exe.display()
    );
    exe
}

fn run(env: &[(&str, &str)]) -> Vec<Value> {
    let mut command = Command::new(quickstart());
    command
        .env_remove("RUST_LOG")
        .env_remove("MEMOTRACE_LOG_FORMAT")
        .env_remove("APP_ENV");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("quickstart runs");
    assert!(
        output.status.success(),
        "quickstart failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8 logs");
    assert!(!stdout.trim().is_empty(), "no log lines");
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

fn event<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["event"] == name || l["message"] == name)
        .unwrap_or_else(|| panic!("no {name} in {lines:#?}"))
}

#[test]
fn production_logs_are_json_at_warn_with_secrets_redacted() {
    let lines = run(&[("APP_ENV", "production")]);
    for line in &lines {
        for key in [
            "timestamp",
            "level",
            "logger",
            "event",
            "service",
            "environment",
        ] {
            assert!(line.get(key).is_some(), "{key} missing in {line}");
        }
        assert_eq!(line["environment"], "production");
        assert!(
            line["level"] == "warning" || line["level"] == "error",
            "below warn in production: {line}"
        );
        assert_eq!(
            line["request_id"], "req-789",
            "bound context on every event: {line}"
        );
    }
    let login = event(&lines, "login_failed");
    assert_eq!(login["password"], "***REDACTED***");
    assert_eq!(login["ip"], "192.168.1.1");
    assert_eq!(login["attempts"], 3);
    let failed = event(&lines, "operation_failed");
    assert_eq!(failed["operation"], "charge_card");
    assert_eq!(failed["error"], "insufficient funds");
    assert!(!lines.iter().any(|l| l.to_string().contains("hunter2")));
}

#[test]
fn staging_logs_show_operations_and_cache_loads_at_info() {
    let lines = run(&[("APP_ENV", "staging")]);
    assert!(lines.iter().all(|l| l["level"] != "debug"));
    let loads: Vec<_> = lines
        .iter()
        .filter(|l| l["event"] == "operation_completed")
        .collect();
    assert_eq!(loads.len(), 3, "three loads; the two hits are not timed");
    for load in loads {
        assert_eq!(load["operation"], "load_permissions");
        assert!(load["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
        assert_eq!(load["success"], true);
    }
}

#[test]
fn ecs_flavour_has_the_fields_kibana_reads() {
    let lines = run(&[("APP_ENV", "production"), ("MEMOTRACE_LOG_FORMAT", "ecs")]);
    let login = event(&lines, "login_failed");
    for key in [
        "@timestamp",
        "log.level",
        "message",
        "service.name",
        "ecs.version",
    ] {
        assert!(login.get(key).is_some(), "{key} missing in {login}");
    }
    assert_eq!(login["password"], "***REDACTED***");
}

#[test]
fn development_logs_include_query_events() {
    let output = Command::new(quickstart())
        .env_remove("APP_ENV")
        .env_remove("RUST_LOG")
        .env_remove("MEMOTRACE_LOG_FORMAT")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("sql_query_completed"), "{stdout}");
    assert!(stdout.contains("password=***REDACTED***"), "{stdout}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("hits=2 misses=3 loads=3"),
        "cache summary: {stderr}"
    );
    assert!(
        stderr.contains("load_permissions"),
        "perf snapshot: {stderr}"
    );
}
