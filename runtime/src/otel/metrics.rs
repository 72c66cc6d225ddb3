//! OTLP metrics: the series of the `metrics` feature (cache statistics, operation calls,
//! errors and latency) as observable instruments whose callbacks read the existing
//! counters when the periodic reader collects. Nothing is recorded on the hot paths.
//!
//! The OpenTelemetry API has no observable histogram, so the latency is exported the way
//! a cumulative Prometheus histogram is: `…_bucket{operation, le}` counters (with
//! `le="+Inf"`), `…_count` and `…_sum` (seconds), all from the operations' own buckets.

use crate::metrics::series::{
    durations, BOUNDS, CACHE_COUNTERS, CACHE_GAUGES, DURATION, OPERATION_CALLS, OPERATION_ERRORS,
};
use crate::perf::OperationStats;
use opentelemetry::metrics::Meter;
use opentelemetry::KeyValue;

/// One operation counter: its metric name and where it is read in [`OperationStats`].
type OperationCounter = (&'static str, fn(&OperationStats) -> u64);

const OPERATION_COUNTERS: [OperationCounter; 2] = [
    (OPERATION_CALLS, |op| op.count),
    (OPERATION_ERRORS, |op| op.errors),
];

/// Registers every instrument on `meter`; their callbacks live as long as its provider.
pub(crate) fn register(meter: &Meter) {
    for (name, read) in CACHE_COUNTERS {
        meter
            .u64_observable_counter(name)
            .with_callback(move |o| {
                for cache in crate::cache::registry() {
                    o.observe(read(&cache.stats), &[KeyValue::new("cache", cache.name)]);
                }
            })
            .build();
    }
    for (name, read) in CACHE_GAUGES {
        meter
            .u64_observable_gauge(name)
            .with_callback(move |o| {
                for cache in crate::cache::registry() {
                    o.observe(read(&cache.stats), &[KeyValue::new("cache", cache.name)]);
                }
            })
            .build();
    }
    for (name, read) in OPERATION_COUNTERS {
        meter
            .u64_observable_counter(name)
            .with_callback(move |o| {
                for op in crate::perf::snapshot().operations {
                    o.observe(read(&op), &[KeyValue::new("operation", op.name)]);
                }
            })
            .build();
    }
    register_durations(meter);
}

/// `memotrace_operation_duration_seconds` as cumulative bucket counters, count and sum.
fn register_durations(meter: &Meter) {
    meter
        .u64_observable_counter(format!("{DURATION}_bucket"))
        .with_callback(|o| {
            // One read gives every bound's count and +Inf's, so they agree.
            for op in durations() {
                let operation = KeyValue::new("operation", op.name);
                let counts = op.at_most.iter().copied().chain([op.count]);
                let bounds = BOUNDS.iter().map(f64::to_string).chain(["+Inf".into()]);
                for (n, le) in counts.zip(bounds) {
                    o.observe(n, &[operation.clone(), KeyValue::new("le", le)]);
                }
            }
        })
        .build();
    meter
        .u64_observable_counter(format!("{DURATION}_count"))
        .with_callback(|o| {
            for op in durations() {
                o.observe(op.count, &[KeyValue::new("operation", op.name)]);
            }
        })
        .build();
    meter
        .f64_observable_counter(format!("{DURATION}_sum"))
        .with_unit("s")
        .with_callback(|o| {
            for op in durations() {
                o.observe(op.sum.as_secs_f64(), &[KeyValue::new("operation", op.name)]);
            }
        })
        .build();
}
