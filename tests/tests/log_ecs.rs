//! ECS lines follow elastic/ecs-logging's `spec/spec.json`: `@timestamp`, `log.level`,
//! `message` first and in that order, `ecs.version` present, dotted top-level keys,
//! `event.dataset` = `{service.name}.log`, and user fields that collide with ECS names
//! keep ECS types or move under `labels`.

use memotrace::log::{self, Format, Logger};
use memotrace_tests::capture::Capture;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// A JSON object's members in the order they were written (duplicates kept).
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Ordered(members))
            }
        }
        d.deserialize_map(V)
    }
}

/// The spec's fields: name, JSON type, required, `index` (position), `top_level_field`.
const SPEC: &[(&str, &str, bool, Option<usize>, bool)] = &[
    ("@timestamp", "string", true, Some(0), false),
    ("log.level", "string", true, Some(1), true),
    ("message", "string", false, Some(2), false),
    ("ecs.version", "string", true, None, true),
    ("labels", "object", false, None, false),
    ("trace.id", "string", false, None, false),
    ("transaction.id", "string", false, None, false),
    ("service.name", "string", false, None, false),
    ("service.node.name", "string", false, None, false),
    ("service.version", "string", false, None, false),
    ("event.dataset", "string", false, None, false),
    ("service.environment", "string", false, None, false),
    ("process.thread.name", "string", false, None, false),
    ("log.logger", "string", false, None, false),
    ("log.origin.file.line", "integer", false, None, false),
    ("log.origin.file.name", "string", false, None, false),
    ("log.origin.function", "string", false, None, false),
    ("error.type", "string", false, None, false),
    ("error.message", "string", false, None, false),
    ("error.stack_trace", "string", false, None, false),
];

/// Checks one line against the spec's rules and returns its members.
fn check_line(line: &str) -> Vec<(String, Value)> {
    let Ordered(members) = serde_json::from_str(line).expect("one JSON object per line");
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    let mut unique = keys.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "duplicate keys in {line}");
    for &(name, ty, required, index, top_level) in SPEC {
        let found = members.iter().position(|(k, _)| k == name);
        if required {
            assert!(found.is_some(), "{name} is required: {line}");
        }
        if let (Some(i), Some(pos)) = (index, found) {
            assert_eq!(i, pos, "{name} must be key #{i}: {line}");
        }
        if top_level {
            let (head, _) = name.split_once('.').unwrap();
            assert!(
                !keys.contains(&head),
                "{name} must be a dotted top-level key, not nested: {line}"
            );
        }
        if let Some(pos) = found {
            let v = &members[pos].1;
            let ok = match ty {
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "object" => v.is_object(),
                _ => unreachable!(),
            };
            assert!(ok, "{name} must be a {ty}: {line}");
        }
    }
    // The spec's label key sanitisation: no `.`, `*` or `\` after `labels.`.
    for (k, v) in &members {
        if let Some(label) = k.strip_prefix("labels.") {
            assert!(!label.contains(['.', '*', '\\']), "label key {k}: {line}");
            assert!(v.is_string(), "labels are keywords: {k} in {line}");
        }
    }
    members
}

fn value<'m>(members: &'m [(String, Value)], key: &str) -> &'m Value {
    &members
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key} in {members:?}"))
        .1
}

#[test]
fn lines_follow_the_spec_order_and_required_fields() {
    let cap = Capture::with(|b| b.format(Format::Ecs));
    cap.run(|| {
        tracing::warn!(user_id = 7, "user_login");
        tracing::info!(target: "no_message", answer = 42);
        let span = tracing::info_span!("req", request_id = "r-1");
        span.in_scope(|| tracing::error!(error = "boom", error_type = "Io", "failed"));
    });
    let text = cap.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for line in &lines {
        let members = check_line(line);
        assert_eq!(value(&members, "ecs.version"), log::ECS_VERSION);
        assert_eq!(value(&members, "event.dataset"), "svc.log");
        assert_eq!(value(&members, "service.name"), "svc");
    }
    let first = check_line(lines[0]);
    let keys: Vec<&str> = first.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys[..4],
        ["@timestamp", "log.level", "message", "log.logger"]
    );
    assert_eq!(value(&first, "log.level"), "warning");
    assert_eq!(value(&first, "message"), "user_login");
    assert_eq!(value(&first, "log.logger"), "log_ecs");
    let failed = check_line(lines[2]);
    assert_eq!(value(&failed, "error.message"), "boom");
    assert_eq!(value(&failed, "error.type"), "Io");
}

#[test]
fn colliding_user_fields_keep_ecs_types_or_move_under_labels() {
    let cap = Capture::with(|b| b.format(Format::Ecs));
    cap.run(|| {
        let span = tracing::info_span!("req", message = "span text", host = "h-1");
        Logger::new()
            .bind("ecs.version", "0.0.1")
            .bind("log.level", 3)
            .bind("user", "ann")
            .in_scope(|| {
                span.in_scope(|| {
                    tracing::info!(
                        http.response.status_code = 200,
                        user.id = 42,
                        url.port = "not-a-number",
                        event.duration = 1.5,
                        error = 17,
                        "@timestamp" = "yesterday",
                        "a*b" = "kept",
                        "collide"
                    )
                })
            });
    });
    let text = cap.text();
    let members = check_line(text.lines().next().unwrap());
    assert_eq!(value(&members, "message"), "collide");
    assert_eq!(value(&members, "http.response.status_code"), 200);
    assert_eq!(value(&members, "user.id"), "42");
    assert_eq!(value(&members, "error.message"), "17");
    assert_eq!(value(&members, "labels.url_port"), "not-a-number");
    assert_eq!(value(&members, "labels.event_duration"), "1.5");
    assert_eq!(value(&members, "labels.message"), "span text");
    assert_eq!(value(&members, "labels.host"), "h-1");
    assert_eq!(value(&members, "labels.user"), "ann");
    assert_eq!(value(&members, "labels.ecs_version"), "0.0.1");
    assert_eq!(value(&members, "labels.log_level"), "3");
    assert_eq!(value(&members, "labels.@timestamp"), "yesterday");
    assert_eq!(value(&members, "a*b"), "kept");
    assert_eq!(value(&members, "ecs.version"), log::ECS_VERSION);
}

#[test]
fn event_dataset_set_by_a_field_wins() {
    let cap = Capture::with(|b| b.format(Format::Ecs));
    cap.run(|| tracing::info!(event.dataset = "billing.audit", "x"));
    let members = check_line(cap.text().lines().next().unwrap());
    assert_eq!(value(&members, "event.dataset"), "billing.audit");
}
