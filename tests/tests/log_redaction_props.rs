//! Property: a secret held by a sensitive name never reaches the output, whatever it is
//! nested in (JSON text and values, Debug strings and structs, free text, leading
//! blanks), whichever path it takes (event field, message, error, span field at creation
//! or recorded later, bound context) and in every format (pretty, JSON, ECS).

use memotrace::log::{Logger, Value};
use memotrace_tests::capture::Capture;
use memotrace_tests::TextError;
use proptest::prelude::*;

/// What carries the secret at one level of nesting.
#[derive(Clone, Debug)]
enum Carrier {
    Text(String),
    Json(serde_json::Value),
}

impl Carrier {
    fn text(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Json(v) => v.to_string(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Self::Text(t) => serde_json::Value::String(t.clone()),
            Self::Json(v) => v.clone(),
        }
    }
}

const NAMES: &[&str] = &[
    "password",
    "Password",
    "user_password",
    "passwd",
    "pwd",
    "apiKey",
    "api_key",
    "x-api-key",
    "X-API-KEY",
    "client_secret",
    "accessToken",
    "refresh-token",
    "authorization",
    "creditCard",
    "card_number",
    "cvv",
    "ssn",
    "private_key",
    "cookie",
    "set-cookie",
    "session",
    "jwt",
    "bearer",
];

/// The innermost form: the secret after a sensitive name.
fn leaf(secret: String) -> impl Strategy<Value = Carrier> {
    (prop::sample::select(NAMES), 0..10_usize).prop_map(move |(name, form)| {
        let s = &secret;
        match form {
            0 => Carrier::Text(format!("{name}={s}")),
            1 => Carrier::Text(format!("{name}: {s}")),
            2 => Carrier::Text(format!("{name}=\"{s}\"")),
            3 => Carrier::Text(format!("\"{name}\":\"{s}\"")),
            4 => Carrier::Text(format!("Authorization: Bearer {s}")),
            5 => Carrier::Text(format!("{name} => \"{s}\"")),
            6 => Carrier::Text(format!("https://app:{s}@db.internal/x")),
            7 => Carrier::Text(format!("authorization=Basic {s}")),
            8 => Carrier::Json(serde_json::json!({ name: s })),
            _ => Carrier::Json(serde_json::json!({ "id": 1, name: [s] })),
        }
    })
}

/// A struct as services print it with `?value`.
#[derive(Debug)]
#[allow(dead_code)] // read through `Debug`
struct Request {
    detail: String,
    id: u32,
}

/// One more level around `inner`.
fn wrap(inner: Carrier, how: usize) -> Carrier {
    match how {
        0 => Carrier::Text(format!(
            "request failed (ctx 7): {} (retry 2)",
            inner.text()
        )),
        1 => Carrier::Text(format!("{:?}", inner.text())),
        2 => Carrier::Json(serde_json::json!({ "data": inner.json(), "n": 3 })),
        3 => Carrier::Json(serde_json::json!([inner.json()])),
        4 => Carrier::Text(format!("{:?}", inner.json())),
        5 => Carrier::Text(format!(
            "{:?}",
            Request {
                detail: inner.text(),
                id: 7
            }
        )),
        _ => Carrier::Text(format!(" \n  {}", inner.text())),
    }
}

fn nested(secret: String) -> impl Strategy<Value = Carrier> {
    (leaf(secret), prop::collection::vec(0..7_usize, 0..4))
        .prop_map(|(leaf, wraps)| wraps.into_iter().fold(leaf, wrap))
}

/// Logs `carrier` through the path numbered `path`.
fn deliver(carrier: &Carrier, path: usize) {
    let text = carrier.text();
    match path {
        0 => tracing::info!(detail = %text, "event_display"),
        1 => tracing::info!(detail = ?text, "event_debug"),
        2 => tracing::info!(detail = ?carrier.json(), "event_json_debug"),
        3 => tracing::info!("message {text}"),
        4 => {
            let err = TextError(text);
            tracing::error!(error = &err as &dyn std::error::Error, "event_error");
        }
        5 => {
            let span = tracing::info_span!("req", detail = text.as_str());
            span.in_scope(|| tracing::info!("span_field"));
        }
        6 => {
            let span = tracing::info_span!("req", detail = tracing::field::Empty);
            span.record("detail", text.as_str());
            span.in_scope(|| tracing::info!("span_recorded"));
        }
        7 => Logger::new()
            .bind("detail", text)
            .in_scope(|| tracing::info!("bound_text")),
        8 => Logger::new()
            .bind("detail", carrier.json())
            .in_scope(|| tracing::info!("bound_json")),
        _ => Logger::new()
            .bind(
                "detail",
                Value::Error {
                    message: "failed".into(),
                    sources: vec![text],
                },
            )
            .in_scope(|| tracing::info!("bound_error")),
    }
}

fn case() -> impl Strategy<Value = (String, Carrier, usize)> {
    "[a-z]{4}[0-9]{2}[a-z0-9]{4}".prop_flat_map(|tail| {
        let secret = format!("zq{tail}");
        (Just(secret.clone()), nested(secret), 0..10_usize)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_secret_never_appears((secret, carrier, path) in case()) {
        for (format, cap) in Capture::every_format(|b| b) {
            cap.run(|| deliver(&carrier, path));
            let out = cap.text();
            prop_assert!(!out.is_empty(), "{:?}: nothing written", format);
            prop_assert!(
                !out.contains(&secret),
                "{:?}, path {}: {} leaked from {:?} in:\n{}",
                format, path, secret, carrier, out
            );
        }
    }
}
