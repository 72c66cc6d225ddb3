//! Redaction does not depend on the path a value took: JSON text and values, Debug
//! structs, free text and error messages, in event fields, span fields (also recorded
//! later), bound context and messages, matched by normalised names, in every format.

use memotrace::log::{Format, Logger, Redactor, Value};
use memotrace_tests::capture::Capture;
use memotrace_tests::TextError;
use serde_json::json;
use std::fmt;

/// Every format's output for the events `emit` logs.
fn outputs(emit: impl Fn()) -> Vec<(Format, String)> {
    Capture::every_format(|b| b)
        .into_iter()
        .map(|(format, cap)| {
            cap.run(&emit);
            (format, cap.text())
        })
        .collect()
}

fn assert_hidden(emit: impl Fn(), secrets: &[&str], kept: &[&str]) {
    for (format, text) in outputs(emit) {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{format:?}: {secret:?} leaked in:\n{text}"
            );
        }
        for visible in kept {
            assert!(
                text.contains(visible),
                "{format:?}: {visible:?} was hidden in:\n{text}"
            );
        }
        assert!(text.contains("***REDACTED***"), "{format:?}: {text}");
    }
}

#[test]
fn json_text_is_redacted_whatever_path_it_takes() {
    let payload =
        json!({"user": "ann", "password": "pw-value-1", "nested": {"apiKey": "key-value-2"}});
    let text = payload.to_string();
    let indented = format!("  \n {text}");
    // As a `serde_json::Value` through Debug (`Object {…}`).
    assert_hidden(
        || tracing::info!(body = ?payload, "debug_value"),
        &["pw-value-1", "key-value-2"],
        &["ann"],
    );
    // Recorded on a span after it was created.
    assert_hidden(
        || {
            let span = tracing::info_span!("req", body = tracing::field::Empty);
            span.record("body", text.as_str());
            span.in_scope(|| tracing::info!("recorded_later"));
        },
        &["pw-value-1", "key-value-2"],
        &["ann"],
    );
    // In bound context, as text and as a Debug string.
    assert_hidden(
        || {
            Logger::new()
                .bind("body", text.clone())
                .bind("dump", format!("{payload:?}"))
                .in_scope(|| tracing::info!("bound"));
        },
        &["pw-value-1", "key-value-2"],
        &["ann"],
    );
    // With leading whitespace, in an event field and a span field.
    assert_hidden(
        || {
            let span = tracing::info_span!("req", raw = indented.as_str());
            span.in_scope(|| tracing::info!(body = indented.as_str(), "indented"));
        },
        &["pw-value-1", "key-value-2"],
        &["ann"],
    );
}

#[test]
fn names_match_across_snake_camel_and_kebab_case() {
    let cap = Capture::json();
    cap.run(|| {
        tracing::info!(
            apiKey = "v01",
            passwd = "v02",
            pwd = "v03",
            "x-api-key" = "v04",
            creditCard = "v05",
            private_key = "v06",
            cookie = "v07",
            "set-cookie" = "v08",
            session = "v09",
            jwt = "v10",
            bearer = "v11",
            card_number = "v12",
            cvv = "v13",
            Authorization = "v14",
            client_secret = "v15",
            refresh_token = "v16",
            user_id = 7,
            session_id = "s-1",
            class_name = "Admin",
            "names"
        );
    });
    let line = cap.one("names");
    for key in [
        "apiKey",
        "passwd",
        "pwd",
        "x-api-key",
        "creditCard",
        "private_key",
        "cookie",
        "set-cookie",
        "session",
        "jwt",
        "bearer",
        "card_number",
        "cvv",
        "Authorization",
        "client_secret",
        "refresh_token",
    ] {
        assert_eq!(line[key], "***REDACTED***", "{key}");
    }
    assert_eq!(line["user_id"], 7);
    assert_eq!(line["session_id"], "s-1");
    assert_eq!(line["class_name"], "Admin");
}

#[derive(Debug)]
#[allow(dead_code)] // read through `Debug`
struct DbConfig {
    host: &'static str,
    port: u16,
    password: &'static str,
    login: Option<Credentials>,
}

#[derive(Debug)]
#[allow(dead_code)] // read through `Debug`
struct Credentials {
    user: &'static str,
    token: String,
}

#[derive(Debug)]
struct Wrapped(TextError);
impl fmt::Display for Wrapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("request failed")
    }
}
impl std::error::Error for Wrapped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[test]
fn debug_structs_errors_and_free_text_are_masked() {
    let config = DbConfig {
        host: "db.internal",
        port: 5432,
        password: "hunter2-pw",
        login: Some(Credentials {
            user: "svc",
            token: "tok-9f8e7d".to_owned(),
        }),
    };
    let err = Wrapped(TextError(
        "auth rejected: api_key: ak-55aa66 for user=ann".into(),
    ));
    assert_hidden(
        || {
            tracing::info!(config = ?config, "connecting");
            tracing::error!(error = &err as &dyn std::error::Error, "call_failed");
            tracing::warn!(
                header = "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
                url = "postgres://app:pg-pass-1@db.internal:5432/app",
                query = "?page=2&token=qt-778899&sort=asc",
                json_text = r#"note {"token":"jt-112233"} end"#,
                "request password=msg-pw-3 rejected"
            );
            Logger::new()
                .bind("detail", "retry with secret: bound-s3cret")
                .bind(
                    "failure",
                    Value::Error {
                        message: "bad pwd=err-pw-4".into(),
                        sources: vec!["upstream said cookie=ck-5".into()],
                    },
                )
                .in_scope(|| tracing::info!("bound_text"));
        },
        &[
            "hunter2-pw",
            "tok-9f8e7d",
            "ak-55aa66",
            "eyJhbGciOiJIUzI1NiJ9",
            "pg-pass-1",
            "qt-778899",
            "jt-112233",
            "msg-pw-3",
            "bound-s3cret",
            "err-pw-4",
            "ck-5",
        ],
        &[
            "db.internal",
            "5432",
            "svc",
            "user=ann",
            "page=2",
            "sort=asc",
        ],
    );
}

#[test]
fn builder_adds_and_removes_names() {
    let cap = Capture::with(|b| {
        b.format(Format::Json)
            .redact(["tenant-ref"])
            .unredact(["session", "cookie"])
    });
    cap.run(|| {
        tracing::info!(
            tenantRef = "t-1",
            session = "visible-session",
            cookie = "visible-cookie",
            password = "hidden",
            note = "tenant_ref=t-2",
            "custom"
        )
    });
    let line = cap.one("custom");
    assert_eq!(line["tenantRef"], "***REDACTED***");
    assert_eq!(line["note"], "tenant_ref=***REDACTED***");
    assert_eq!(line["session"], "visible-session");
    assert_eq!(line["cookie"], "visible-cookie");
    assert_eq!(line["password"], "***REDACTED***");
    let replaced = Capture::with(|b| b.format(Format::Json).redactor(Redactor::new(["pin"])));
    replaced.run(|| tracing::info!(card_pin = 1234, password = "visible", "replaced"));
    let line = replaced.one("replaced");
    assert_eq!(line["card_pin"], "***REDACTED***");
    assert_eq!(line["password"], "visible");
}
