//! A lookup of a Redis or tiered cache inside a traced call records `cache.hit` and
//! `cache.name` on the caller's span, as a memory lookup does: once each, with the
//! answer of the tier that answered. Against a real redis-server and an OTLP receiver
//! in the test process.

use memotrace::cache::redis::TieredCache;
use memotrace::cache::CacheConfig;
use memotrace::log::Format;
use memotrace::log_performance;
use memotrace_tests::capture::Capture;
use memotrace_tests::otlp_receiver::OtlpReceiver;
use memotrace_tests::redis_harness::{default_backend_server, through};
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use std::sync::OnceLock;

#[memotrace::cached(store = redis, ttl = "10m")]
async fn price(id: u64) -> u64 {
    id * 100
}

#[log_performance(level = "info")]
async fn quote(id: u64) -> u64 {
    price(id).await
}

/// A tiered cache on the test's server, built once.
fn stock_cache() -> &'static TieredCache<u64> {
    static CACHE: OnceLock<&'static TieredCache<u64>> = OnceLock::new();
    CACHE.get_or_init(|| TieredCache::new(CacheConfig::new("otel_cache_redis::stock")).register())
}

#[log_performance(level = "info")]
async fn stock(id: u64) -> u64 {
    through(stock_cache(), &id.to_string(), Vec::new(), || async move {
        id + 1
    })
    .await
}

/// `cache.hit`, `cache.name` and the number of `cache.hit` attributes of each span
/// named `name`, in the order the spans ended.
fn lookups(spans: &[Span], name: &str) -> Vec<(Option<Any>, Option<Any>, usize)> {
    let attr = |s: &Span, key: &str| {
        s.attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.clone())
            .and_then(|v| v.value)
    };
    spans
        .iter()
        .filter(|s| s.name == name)
        .map(|s| {
            let hits = s
                .attributes
                .iter()
                .filter(|kv| kv.key == "cache.hit")
                .count();
            (attr(s, "cache.hit"), attr(s, "cache.name"), hits)
        })
        .collect()
}

fn exporting(receiver: &OtlpReceiver) -> Capture {
    default_backend_server("otelcache");
    let endpoint = receiver.endpoint();
    Capture::with(|b| b.format(Format::Json).filter("info").otlp(endpoint))
}

#[test]
fn a_redis_lookup_records_hit_and_cache_name_on_the_callers_span() {
    let receiver = OtlpReceiver::start();
    let cap = exporting(&receiver);
    let rt = cap.runtime();
    assert_eq!(cap.block_on(&rt, quote(3)), 300);
    assert_eq!(cap.block_on(&rt, quote(3)), 300);
    cap.guard().flush();

    let name = Some(Any::StringValue("otel_cache_redis::price".into()));
    assert_eq!(
        lookups(&receiver.spans(), "quote"),
        [
            (Some(Any::BoolValue(false)), name.clone(), 1),
            (Some(Any::BoolValue(true)), name, 1)
        ]
    );
}

#[test]
fn a_tiered_lookup_records_the_answering_tier_once() {
    let receiver = OtlpReceiver::start();
    let cap = exporting(&receiver);
    let rt = cap.runtime();
    // Both tiers miss; then L1 answers; then, L1 emptied, L2 answers.
    assert_eq!(cap.block_on(&rt, stock(5)), 6);
    assert_eq!(cap.block_on(&rt, stock(5)), 6);
    stock_cache().l1().clear();
    assert_eq!(cap.block_on(&rt, stock(5)), 6);
    cap.guard().flush();

    let name = Some(Any::StringValue("otel_cache_redis::stock".into()));
    let (miss, hit) = (Some(Any::BoolValue(false)), Some(Any::BoolValue(true)));
    assert_eq!(
        lookups(&receiver.spans(), "stock"),
        [
            (miss, name.clone(), 1),
            (hit.clone(), name.clone(), 1),
            (hit, name, 1)
        ]
    );
}
