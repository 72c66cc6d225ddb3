//! Output formats: the flat JSON layout, ECS keys, pretty lines, redaction everywhere,
//! error source chains, and the non-blocking writer's accounting.

use memotrace::log::{self, Builder, Format, LineSink, NonBlocking, Redacted, Redactor};
use memotrace_tests::capture::Capture;
use serde_json::{json, Value};
use std::fmt;

#[derive(Debug)]
struct Outer(Inner);
#[derive(Debug)]
struct Inner;
impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("request failed")
    }
}
impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection refused")
    }
}
impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
impl std::error::Error for Inner {}

#[test]
fn json_line_layout() {
    let cap = Capture::with(|b| {
        b.format(Format::Json)
            .thread_field(true)
            .process_field(true)
    });
    cap.run(|| {
        tracing::warn!(
            user_id = 123,
            ip = "192.168.1.1",
            ratio = 0.5,
            ok = true,
            "user_login"
        )
    });
    let line = cap.one("user_login");
    let ts = line["timestamp"].as_str().unwrap();
    assert_eq!(ts.len(), 27, "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T' && ts.as_bytes()[19] == b'.');
    assert_eq!(line["level"], "warning");
    assert_eq!(line["logger"], "log_format");
    assert_eq!(line["user_id"], 123);
    assert_eq!(line["ip"], "192.168.1.1");
    assert_eq!(line["ratio"], 0.5);
    assert_eq!(line["ok"], true);
    assert_eq!(line["service"], "svc");
    assert_eq!(line["version"], "1.2.3");
    assert_eq!(line["environment"], "development");
    assert_eq!(line["process"], u64::from(std::process::id()));
    assert!(line["thread"].is_string());
    // The keys come in the documented order.
    let text = cap.text();
    let pos = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
    assert!(
        pos("timestamp") < pos("level")
            && pos("level") < pos("logger")
            && pos("logger") < pos("event")
    );
}

#[test]
fn redaction_by_name_in_events_spans_context_and_json_values() {
    let cap = Capture::json();
    cap.run(|| {
        let _g = log::bind("api_key", "k-123");
        let span = tracing::info_span!("req", Authorization = "Bearer abc");
        let _e = span.enter();
        let payload =
            json!({"user": {"name": "ann", "Password": "p"}, "cards": [{"credit_card": "4111"}]});
        tracing::info!(
            password = "hunter2",
            user_token = "t",
            client_secret = "s",
            ssn = "078-05-1120",
            user = "ann",
            payload = %payload,
            card = %Redacted::new("4111 1111"),
            "login"
        );
    });
    let line = cap.one("login");
    for key in [
        "password",
        "user_token",
        "client_secret",
        "ssn",
        "api_key",
        "Authorization",
        "card",
    ] {
        assert_eq!(line[key], "***REDACTED***", "{key}");
    }
    assert_eq!(line["user"], "ann");
    assert_eq!(line["payload"]["user"]["name"], "ann");
    assert_eq!(line["payload"]["user"]["Password"], "***REDACTED***");
    assert_eq!(line["payload"]["cards"][0]["credit_card"], "***REDACTED***");
    let text = cap.text();
    for secret in ["hunter2", "k-123", "Bearer abc", "078-05-1120", "4111 1111"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn redaction_list_is_configurable() {
    let cap = Capture::with(|b| b.format(Format::Json).redactor(Redactor::new(["pin"])));
    cap.run(|| tracing::info!(card_pin = 1234, password = "visible", "custom"));
    let line = cap.one("custom");
    assert_eq!(line["card_pin"], "***REDACTED***");
    assert_eq!(line["password"], "visible");
}

#[test]
fn errors_carry_their_source_chain() {
    let cap = Capture::json();
    let err = Outer(Inner);
    cap.run(|| tracing::error!(error = &err as &dyn std::error::Error, "call_failed"));
    let line = cap.one("call_failed");
    assert_eq!(line["error"], "request failed");
    assert_eq!(line["error_sources"], json!(["connection refused"]));
}

#[test]
fn ecs_keys() {
    let cap = Capture::with(|b| b.format(Format::Ecs));
    cap.run(|| {
        tracing::error!(
            error_type = "Timeout",
            error = "upstream timed out",
            duration_ms = 1.5,
            password = "x",
            "fetch_failed"
        );
    });
    let lines = cap.lines();
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert!(l["@timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(l["log.level"], "error");
    assert_eq!(l["log.logger"], "log_format");
    assert_eq!(l["message"], "fetch_failed");
    assert_eq!(l["service.name"], "svc");
    assert_eq!(l["service.version"], "1.2.3");
    assert_eq!(l["service.environment"], "development");
    assert_eq!(l["process.pid"], u64::from(std::process::id()));
    assert!(l["process.thread.name"].is_string());
    assert_eq!(l["error.type"], "Timeout");
    assert_eq!(l["error.message"], "upstream timed out");
    assert_eq!(l["event.duration"], 1_500_000);
    assert_eq!(l["ecs.version"], log::ECS_VERSION);
    assert_eq!(l["password"], "***REDACTED***");
    assert!(l.get("timestamp").is_none() && l.get("level").is_none() && l.get("event").is_none());
}

#[test]
fn pretty_lines_are_readable_and_redacted() {
    let cap = Capture::with(|b| b.format(Format::Pretty).ansi(false));
    cap.run(|| tracing::info!(user_id = 7, token = "abc", "user_login"));
    let text = cap.text();
    assert!(text.contains("[info     ] user_login"), "{text}");
    assert!(text.contains("user_id=7"), "{text}");
    assert!(text.contains("token=***REDACTED***"), "{text}");
    assert!(!text.contains("abc"), "{text}");
    assert!(text.contains("[log_format]"), "{text}");
    assert!(!text.contains('\x1b'), "no colours when ansi is off");
    let coloured = Capture::with(|b| b.format(Format::Pretty).ansi(true));
    coloured.run(|| tracing::info!("x"));
    assert!(coloured.text().contains("\x1b[32m"), "info is green");
}

#[test]
fn filter_applies() {
    let cap = Capture::with(|b| b.format(Format::Json).filter("warn"));
    cap.run(|| {
        tracing::info!("hidden");
        tracing::warn!("shown");
    });
    let events: Vec<Value> = cap.lines();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event"], "shown");
}

/// A writer that says when a write starts, then blocks until the test lets it go.
struct Gate {
    entered: std::sync::mpsc::Sender<()>,
    open: std::sync::mpsc::Receiver<()>,
    out: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl std::io::Write for Gate {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let _ = self.entered.send(());
        let _ = self.open.recv();
        self.out.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn non_blocking_writer_counts_and_reports_dropped_lines() {
    let (entered_tx, entered_rx) = std::sync::mpsc::channel();
    let (open_tx, open_rx) = std::sync::mpsc::channel();
    let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let gate = Gate {
        entered: entered_tx,
        open: open_rx,
        out: std::sync::Arc::clone(&out),
    };
    let (writer, guard) = NonBlocking::new(gate, 4);
    // Line 0 reaches the sink, which blocks: the worker is stuck in `write`.
    writer.write_line(b"{\"n\":0}\n");
    entered_rx.recv().unwrap();
    // 4 lines fit in the queue; the other 45 are dropped, without blocking this thread.
    for i in 1..50 {
        writer.write_line(format!("{{\"n\":{i}}}\n").as_bytes());
    }
    assert_eq!(writer.dropped_lines(), 45);
    for _ in 0..100 {
        let _ = open_tx.send(());
    }
    guard.flush();
    assert_eq!(guard.dropped_lines(), 45);
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let report = lines
        .iter()
        .find(|l| l["event"] == "log_lines_dropped")
        .expect("a dropped-lines report");
    assert_eq!(report["dropped"], 45);
    assert_eq!(report["dropped_total"], 45);
    let kept: Vec<u64> = lines.iter().filter_map(|l| l["n"].as_u64()).collect();
    assert_eq!(kept, [0, 1, 2, 3, 4]);
}

#[test]
fn builder_non_blocking_guard_flushes_on_drop() {
    let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&out);
    let (subscriber, guard) = Builder::new()
        .ignore_env()
        .format(Format::Json)
        .filter("info")
        .writer(move || SharedVec(std::sync::Arc::clone(&sink)))
        .build();
    tracing::subscriber::with_default(subscriber, || {
        for i in 0..100 {
            tracing::info!(i, "queued");
        }
    });
    drop(guard);
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    assert_eq!(text.lines().count(), 100);
}

struct SharedVec(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
impl std::io::Write for SharedVec {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn layer_composes_with_a_user_registry() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&out);
    let (layer, _guard) = Builder::new()
        .ignore_env()
        .format(Format::Json)
        .filter("warn")
        .writer(move || SharedVec(std::sync::Arc::clone(&sink)))
        .blocking()
        .layer();
    let counted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry()
        .with(layer)
        .with(Counter(std::sync::Arc::clone(&counted)));
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!("other_layers_see_this");
        tracing::warn!(secret = "s", "both_see_this");
    });
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text.lines().count(),
        1,
        "the filter applies to memotrace's layer only: {text}"
    );
    assert!(text.contains("\"secret\":\"***REDACTED***\""));
    assert_eq!(counted.load(std::sync::atomic::Ordering::SeqCst), 2);
}

struct Counter(std::sync::Arc<std::sync::atomic::AtomicUsize>);
impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Counter {
    fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}
