//! `#[log_performance]` on async fns and methods: completion, errors, cancellation,
//! panics inside a poll, slow calls, and metrics.

use memotrace::log_performance;
use memotrace_tests::capture::Capture;
use std::time::Duration;

struct Repo {
    prefix: String,
}

impl Repo {
    #[log_performance(level = "info", fields(self.prefix, limit))]
    async fn list(&self, limit: usize) -> Result<Vec<String>, std::io::Error> {
        tokio::task::yield_now().await;
        if limit == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "limit must be positive",
            ));
        }
        Ok((0..limit).map(|i| format!("{}{i}", self.prefix)).collect())
    }

    #[log_performance(name = "repo.count", level = "info")]
    fn count(&mut self, extra: usize) -> usize {
        self.prefix.len() + extra
    }
}

#[log_performance(level = "info")]
async fn wait_forever(rx: tokio::sync::oneshot::Receiver<()>) {
    let _ = rx.await;
}

#[log_performance(level = "info", slow = "20ms")]
async fn slow_call(rx: tokio::sync::oneshot::Receiver<u8>) -> u8 {
    // Sleeps past the threshold (a duration under test, not synchronisation).
    tokio::time::sleep(Duration::from_millis(40)).await;
    rx.await.unwrap_or(0)
}

#[log_performance(level = "info", slow = "10s")]
async fn fast_call() -> u8 {
    1
}

#[log_performance]
async fn panics_in_poll(after_yield: bool) -> u8 {
    if after_yield {
        tokio::task::yield_now().await;
    }
    panic!("exploded in poll");
}

#[test]
fn async_method_success_and_error_across_threads() {
    let cap = Capture::json();
    let rt = cap.runtime();
    let repo = std::sync::Arc::new(Repo { prefix: "u".into() });
    let r = std::sync::Arc::clone(&repo);
    let out = cap
        .block_on(&rt, async move {
            tokio::spawn(async move { r.list(2).await }).await.unwrap()
        })
        .unwrap();
    assert_eq!(out, ["u0", "u1"]);
    let r = std::sync::Arc::clone(&repo);
    let err = cap
        .block_on(&rt, async move {
            tokio::spawn(async move { r.list(0).await }).await.unwrap()
        })
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);

    let ok = cap.one("operation_completed");
    assert_eq!(ok["operation"], "list");
    assert_eq!(ok["self.prefix"], "u");
    assert_eq!(ok["limit"], 2);
    let failed = cap.one("operation_failed");
    assert_eq!(failed["error_type"], "Error");
    assert_eq!(failed["error"], "limit must be positive");
    assert_eq!(failed["limit"], 0);
    assert_eq!(failed["level"], "error");
}

#[test]
fn sync_method_with_mut_receiver() {
    let cap = Capture::json();
    let mut repo = Repo {
        prefix: "abc".into(),
    };
    assert_eq!(cap.run(|| repo.count(2)), 5);
    assert_eq!(cap.one("operation_completed")["operation"], "repo.count");
}

#[test]
fn dropped_future_is_operation_cancelled() {
    let cap = Capture::json();
    let rt = cap.runtime();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    cap.block_on(&rt, async move {
        // The fn waits on `rx` forever; the timeout drops it after it started.
        let r = tokio::time::timeout(Duration::from_millis(5), wait_forever(rx)).await;
        assert!(r.is_err());
    });
    drop(tx);
    let line = cap.one("operation_cancelled");
    assert_eq!(line["level"], "warning");
    assert_eq!(line["operation"], "wait_forever");
    assert!(line["duration_ms"].as_f64().unwrap() >= 0.0);
    assert!(cap.events("operation_completed").is_empty());
}

#[test]
fn slow_call_is_a_warning_with_slow_true() {
    let cap = Capture::json();
    let rt = cap.runtime();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tx.send(9).unwrap();
    assert_eq!(cap.block_on(&rt, slow_call(rx)), 9);
    assert_eq!(cap.block_on(&rt, fast_call()), 1);
    let lines = cap.events("operation_completed");
    assert_eq!(lines.len(), 2, "{}", cap.text());
    let slow = lines
        .iter()
        .find(|l| l["operation"] == "slow_call")
        .unwrap();
    assert_eq!(slow["level"], "warning");
    assert_eq!(slow["slow"], true);
    assert!(slow["duration_ms"].as_f64().unwrap() >= 40.0);
    let fast = lines
        .iter()
        .find(|l| l["operation"] == "fast_call")
        .unwrap();
    assert_eq!(fast["level"], "info");
    assert!(fast.get("slow").is_none());
}

#[test]
fn panic_inside_poll_is_failed_not_cancelled() {
    let cap = Capture::json();
    let rt = cap.runtime();
    for after_yield in [false, true] {
        let joined = cap.block_on(&rt, rt.spawn(panics_in_poll(after_yield)));
        assert!(joined.unwrap_err().is_panic());
    }
    let failed = cap.events("operation_failed");
    assert_eq!(failed.len(), 2, "{}", cap.text());
    for line in &failed {
        assert_eq!(line["error_type"], "panic");
        assert_eq!(line["operation"], "panics_in_poll");
    }
    assert!(
        cap.events("operation_cancelled").is_empty(),
        "{}",
        cap.text()
    );
}
