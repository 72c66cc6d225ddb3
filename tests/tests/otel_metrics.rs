//! OTLP metrics export against a receiver in the test process (HTTP and gRPC): cache
//! statistics, operation calls and errors and the latency histogram arrive with the
//! values of `CacheStats` and `perf::snapshot()`, read when the metrics are collected.

use memotrace::cache::CacheStats;
use memotrace::log::{Format, OtlpProtocol};
use memotrace_tests::capture::Capture;
use memotrace_tests::otlp_receiver::OtlpReceiver;
use memotrace_tests::TextError;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
use opentelemetry_proto::tonic::metrics::v1::{Metric, NumberDataPoint};

#[memotrace::cached(name = "otlp_square")]
fn square(x: u64) -> u64 {
    x * x
}

#[memotrace::log_performance(name = "otlp_op")]
fn op(fail: bool) -> Result<u64, TextError> {
    if fail {
        Err(TextError("no".into()))
    } else {
        Ok(1)
    }
}

fn square_stats() -> CacheStats {
    memotrace::cache::registry()
        .into_iter()
        .find(|c| c.name == "otlp_square")
        .expect("otlp_square is registered")
        .stats
}

/// The points of the last export of `name`.
fn points(metrics: &[Metric], name: &str) -> Vec<NumberDataPoint> {
    let metric = metrics
        .iter()
        .rev()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:#?}", names(metrics)));
    match &metric.data {
        Some(Data::Sum(sum)) => {
            assert!(sum.is_monotonic, "{name} is a counter");
            sum.data_points.clone()
        }
        Some(Data::Gauge(gauge)) => gauge.data_points.clone(),
        other => panic!("{name}: unexpected data {other:?}"),
    }
}

fn names(metrics: &[Metric]) -> Vec<&str> {
    metrics.iter().map(|m| m.name.as_str()).collect()
}

/// The value of the point of `name` whose attributes include every `(key, value)`.
fn value(metrics: &[Metric], name: &str, labels: &[(&str, &str)]) -> f64 {
    let points = points(metrics, name);
    let point = points
        .iter()
        .find(|p| {
            labels.iter().all(|(k, v)| {
                p.attributes.iter().any(|kv| {
                    kv.key == *k
                        && kv.value.as_ref().and_then(|v| v.value.as_ref())
                            == Some(&Any::StringValue((*v).into()))
                })
            })
        })
        .unwrap_or_else(|| panic!("no {name}{labels:?} in {points:#?}"));
    #[allow(clippy::cast_precision_loss)]
    match point.value {
        Some(Value::AsInt(n)) => n as f64,
        Some(Value::AsDouble(x)) => x,
        None => panic!("{name}{labels:?} has no value"),
    }
}

/// Drives hits, misses, calls and errors (each round adds the same numbers), flushes,
/// and checks what the receiver got against the counters.
fn exports_the_counters(receiver: &OtlpReceiver, protocol: OtlpProtocol) {
    let endpoint = receiver.endpoint();
    let cap = Capture::with(|b| {
        b.format(Format::Json)
            .filter("warn")
            .otlp(endpoint)
            .otlp_protocol(protocol)
    });
    cap.run(|| {
        for x in [1, 1, 1, 2, 2] {
            square(x);
        }
        for fail in [false, false, true] {
            let _ = op(fail);
        }
    });
    cap.guard().flush();

    let metrics = receiver.metrics();
    let stats = square_stats();
    assert!(stats.hits >= 3 && stats.misses >= 2, "{stats:?}");
    let cache = [("cache", "otlp_square")];
    #[allow(clippy::cast_precision_loss)]
    for (name, expected) in [
        ("memotrace_cache_hits_total", stats.hits),
        ("memotrace_cache_misses_total", stats.misses),
        ("memotrace_cache_loads_total", stats.loads),
        ("memotrace_cache_entries", stats.entries),
    ] {
        assert_eq!(value(&metrics, name, &cache), expected as f64, "{name}");
    }

    let snapshot = memotrace::perf::snapshot();
    let stats = snapshot.get("otlp_op").expect("otlp_op timed");
    let operation = [("operation", "otlp_op")];
    #[allow(clippy::cast_precision_loss)]
    {
        assert_eq!(
            value(&metrics, "memotrace_operation_calls_total", &operation),
            stats.count as f64
        );
        assert_eq!(
            value(&metrics, "memotrace_operation_errors_total", &operation),
            stats.errors as f64
        );
        let duration = "memotrace_operation_duration_seconds";
        assert_eq!(
            value(&metrics, &format!("{duration}_count"), &operation),
            stats.count as f64
        );
        assert_eq!(
            value(
                &metrics,
                &format!("{duration}_bucket"),
                &[("operation", "otlp_op"), ("le", "+Inf")]
            ),
            stats.count as f64
        );
        assert!(value(&metrics, &format!("{duration}_sum"), &operation) > 0.0);
    }
}

#[test]
fn cache_and_operation_metrics_are_exported_over_http_and_grpc_with_the_counters_values() {
    let http = OtlpReceiver::start();
    exports_the_counters(&http, OtlpProtocol::HttpProtobuf);
    let stats = square_stats();
    assert_eq!((stats.hits, stats.misses), (3, 2));

    let grpc = OtlpReceiver::start_grpc();
    exports_the_counters(&grpc, OtlpProtocol::Grpc);
    let stats = square_stats();
    assert_eq!(
        (stats.hits, stats.misses),
        (8, 2),
        "the second round only hits"
    );
}
