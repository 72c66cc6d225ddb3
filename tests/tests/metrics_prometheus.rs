//! `memotrace::metrics` scraped by a real Prometheus: cache statistics and operation
//! counts and the latency histogram reach Prometheus's query API with the values of `CacheStats` and
//! `perf::snapshot()`, read at scrape time.

use axum::routing::get;
use axum::Router;
use memotrace::cache::CacheStats;
use memotrace_tests::prometheus_harness::Prometheus;
use std::time::{Duration, Instant};

#[memotrace::cached(name = "prom_square")]
fn square(x: u64) -> u64 {
    x * x
}

#[memotrace::log_performance(name = "prom_op")]
fn op(fail: bool) -> Result<u64, String> {
    if fail {
        Err("no".into())
    } else {
        Ok(1)
    }
}

fn square_stats() -> CacheStats {
    memotrace::cache::registry()
        .into_iter()
        .find(|c| c.name == "prom_square")
        .expect("prom_square is registered")
        .stats
}

/// Polls `query` until Prometheus returns `expected` (at most 30 s).
fn await_value(prom: &Prometheus, query: &str, expected: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = None;
    #[allow(clippy::cast_precision_loss)]
    while last != Some(expected as f64) {
        assert!(
            Instant::now() < deadline,
            "Prometheus answered {last:?} for {query} after 30 s, expected {expected}"
        );
        std::thread::sleep(Duration::from_millis(100));
        last = prom.query_one(query);
    }
}

#[test]
fn prometheus_scrapes_cache_stats_and_operation_counts() {
    let metrics = memotrace::metrics::prometheus().expect("recorder installed");
    for x in [1, 1, 1, 2] {
        square(x);
    }
    for fail in [false, false, false, true] {
        let _ = op(fail);
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let service = listener.local_addr().unwrap();
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move { metrics.render() }
        }),
    );
    rt.spawn(async move { axum::serve(listener, app).await });

    let prom = Prometheus::start(service);
    let stats = square_stats();
    assert_eq!((stats.hits, stats.misses, stats.loads), (2, 2, 2));
    let cache = "%7Bcache%3D%22prom_square%22%7D";
    await_value(
        &prom,
        &format!("memotrace_cache_hits_total{cache}"),
        stats.hits,
    );
    await_value(
        &prom,
        &format!("memotrace_cache_misses_total{cache}"),
        stats.misses,
    );
    await_value(
        &prom,
        &format!("memotrace_cache_loads_total{cache}"),
        stats.loads,
    );
    await_value(
        &prom,
        &format!("memotrace_cache_entries{cache}"),
        stats.entries,
    );
    await_value(
        &prom,
        &format!("memotrace_cache_load_errors_total{cache}"),
        0,
    );

    let timed = memotrace::perf::snapshot();
    let timed = timed.get("prom_op").expect("prom_op timed");
    assert_eq!((timed.count, timed.errors), (4, 1));
    let operation = "%7Boperation%3D%22prom_op%22%7D";
    await_value(
        &prom,
        &format!("memotrace_operation_calls_total{operation}"),
        timed.count,
    );
    await_value(
        &prom,
        &format!("memotrace_operation_errors_total{operation}"),
        timed.errors,
    );
    // The latency is a histogram: every call is in the `+Inf` bucket and the count, and
    // Prometheus knows the family's type.
    await_value(
        &prom,
        &format!("memotrace_operation_duration_seconds_count{operation}"),
        timed.count,
    );
    let inf = "%7Boperation%3D%22prom_op%22%2Cle%3D%22%2BInf%22%7D";
    await_value(
        &prom,
        &format!("memotrace_operation_duration_seconds_bucket{inf}"),
        timed.count,
    );
    let ten_seconds = "%7Boperation%3D%22prom_op%22%2Cle%3D%2210%22%7D";
    await_value(
        &prom,
        &format!("memotrace_operation_duration_seconds_bucket{ten_seconds}"),
        timed.count,
    );
    let sum = prom
        .query_one(&format!(
            "memotrace_operation_duration_seconds_sum{operation}"
        ))
        .expect("the total duration is published");
    #[allow(clippy::cast_precision_loss)]
    let expected_sum = timed.mean.as_secs_f64() * timed.count as f64;
    assert!(
        sum >= expected_sum && sum <= timed.max.as_secs_f64() * 4.0,
        "sum {sum} vs mean {:?} × {}",
        timed.mean,
        timed.count
    );
    let (status, metadata) = prom
        .get("/api/v1/metadata?metric=memotrace_operation_duration_seconds")
        .expect("Prometheus answers");
    assert_eq!(status, 200);
    assert!(
        metadata.contains(r#""type":"histogram""#),
        "metadata: {metadata}"
    );

    // Values are read at scrape time: new hits show up at the next scrape.
    for _ in 0..5 {
        square(1);
    }
    let stats = square_stats();
    assert_eq!(stats.hits, 7);
    await_value(
        &prom,
        &format!("memotrace_cache_hits_total{cache}"),
        stats.hits,
    );
}
