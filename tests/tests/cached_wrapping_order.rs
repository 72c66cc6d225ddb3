//! Attribute order means wrapping: an attribute written above `#[cached]` wraps every
//! call, hits included; one written below it wraps only the loads (the fn's body).

use memotrace::{cached, instrument_db, log_performance};
use memotrace_tests::capture::Capture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

#[log_performance(level = "info")]
#[cached]
fn timed_every_call(id: u32) -> u32 {
    id * 10
}

#[cached]
#[log_performance(level = "info")]
fn timed_loads(id: u32) -> u32 {
    id * 10
}

#[log_performance(level = "info", fields(id))]
#[cached(ttl = "1m")]
async fn timed_every_call_async(id: u32) -> Result<u32, String> {
    tokio::task::yield_now().await;
    if id == 0 {
        Err("zero".into())
    } else {
        Ok(id)
    }
}

#[cached(ttl = "1m")]
#[log_performance(level = "info")]
async fn timed_loads_async(id: u32) -> Result<u32, String> {
    tokio::task::yield_now().await;
    Ok(id)
}

fn cache_hits(events: &[serde_json::Value]) -> Vec<bool> {
    events
        .iter()
        .map(|e| e["cache_hit"].as_bool().expect("a boolean `cache_hit`"))
        .collect()
}

#[test]
fn log_performance_above_cached_times_every_call_with_cache_hit() {
    let cap = Capture::json();
    cap.run(|| {
        assert_eq!(timed_every_call(1), 10);
        assert_eq!(timed_every_call(1), 10);
        assert_eq!(timed_every_call(2), 20);
    });
    let events = cap.events("operation_completed");
    assert_eq!(events.len(), 3, "every call is timed, the hit too");
    assert!(events.iter().all(|e| e["operation"] == "timed_every_call"));
    assert_eq!(cache_hits(&events), [false, true, false]);
    assert_eq!(timed_every_call_cache().stats().hits, 1);
}

#[test]
fn log_performance_below_cached_times_loads_only() {
    let cap = Capture::json();
    cap.run(|| {
        assert_eq!(timed_loads(1), 10);
        assert_eq!(timed_loads(1), 10);
        assert_eq!(timed_loads(2), 20);
    });
    let events = cap.events("operation_completed");
    assert_eq!(events.len(), 2, "two loads are timed, the hit is not");
    assert!(events.iter().all(|e| e.get("cache_hit").is_none()));
    assert_eq!(timed_loads_cache().stats().hits, 1);
}

#[test]
fn log_performance_above_async_cached_times_hits_and_failures() {
    let cap = Capture::json();
    let rt = cap.runtime();
    assert_eq!(cap.block_on(&rt, timed_every_call_async(3)), Ok(3));
    assert_eq!(cap.block_on(&rt, timed_every_call_async(3)), Ok(3));
    assert!(cap.block_on(&rt, timed_every_call_async(0)).is_err());
    let completed = cap.events("operation_completed");
    assert_eq!(cache_hits(&completed), [false, true]);
    assert!(completed.iter().all(|e| e["id"] == 3));
    let failed = cap.one("operation_failed");
    assert_eq!(failed["error"], "zero");
    assert_eq!(failed["cache_hit"], false);
}

#[test]
fn log_performance_below_async_cached_times_loads_only() {
    let cap = Capture::json();
    let rt = cap.runtime();
    for _ in 0..3 {
        assert_eq!(cap.block_on(&rt, timed_loads_async(4)), Ok(4));
    }
    assert_eq!(cap.events("operation_completed").len(), 1);
}

#[instrument_db(system = "sqlite", statement = "SELECT name FROM users WHERE id = ?1")]
#[cached]
fn db_every_call(id: i64) -> Option<String> {
    Some(format!("user {id}"))
}

#[cached]
#[instrument_db(system = "sqlite", statement = "SELECT name FROM users WHERE id = ?1")]
fn db_loads(id: i64) -> Option<String> {
    Some(format!("user {id}"))
}

#[test]
fn instrument_db_above_cached_instruments_every_call() {
    let cap = Capture::json();
    cap.run(|| {
        for _ in 0..3 {
            assert_eq!(db_every_call(1).as_deref(), Some("user 1"));
        }
    });
    assert_eq!(cap.events("sql_query_completed").len(), 3);
    assert_eq!(db_every_call_cache().stats().hits, 2);
}

#[test]
fn instrument_db_below_cached_instruments_loads_only() {
    let cap = Capture::json();
    cap.run(|| {
        for _ in 0..3 {
            assert_eq!(db_loads(1).as_deref(), Some("user 1"));
        }
    });
    assert_eq!(cap.events("sql_query_completed").len(), 1);
}

#[cached]
#[tracing::instrument(name = "load_span")]
fn traced_loads(id: u32) -> u32 {
    id + 1
}

/// Counts the spans opened, by name.
#[derive(Clone, Default)]
struct SpanCount(Arc<AtomicUsize>);

impl<S: Subscriber> Layer<S> for SpanCount {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        if attrs.metadata().name() == "load_span" {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn tracing_instrument_below_cached_spans_loads_only() {
    let count = SpanCount::default();
    let subscriber = tracing_subscriber::registry().with(count.clone());
    tracing::subscriber::with_default(subscriber, || {
        for _ in 0..3 {
            assert_eq!(traced_loads(1), 2);
        }
        assert_eq!(traced_loads(2), 3);
    });
    assert_eq!(count.0.load(Ordering::SeqCst), 2, "one span per load");
}
