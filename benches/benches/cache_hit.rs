//! The hit path of `#[cached]` against its peers, in one run so the ratios compare:
//! the `cached` crate's `#[cached(max_size, ttl_secs)]`, raw quick_cache and raw moka;
//! hits returning owned `String`/`Vec` values; plus 2-thread hit throughput and a
//! 1,000-caller miss storm.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEYS: u64 = 1_000;

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn mt_sync(x: u64) -> u64 {
    x * 2
}

#[cached::macros::cached(max_size = 10_000, ttl_secs = 600)]
fn peer_sync(x: u64) -> u64 {
    x * 2
}

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
async fn mt_async(x: u64) -> u64 {
    x * 2
}

#[cached::macros::cached(max_size = 10_000, ttl_secs = 600)]
async fn peer_async(x: u64) -> u64 {
    x * 2
}

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn mt_str(name: &str) -> usize {
    name.len()
}

#[cached::macros::cached(
    max_size = 10_000,
    ttl_secs = 600,
    key = "String",
    convert = r#"{ name.to_owned() }"#
)]
fn peer_str(name: &str) -> usize {
    name.len()
}

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn mt_three(a: &str, b: &str, n: u32) -> usize {
    a.len() + b.len() + n as usize
}

#[cached::macros::cached(
    max_size = 10_000,
    ttl_secs = 600,
    key = "(String, String, u32)",
    convert = r#"{ (a.to_owned(), b.to_owned(), n) }"#
)]
fn peer_three(a: &str, b: &str, n: u32) -> usize {
    a.len() + b.len() + n as usize
}

/// A 32-byte `String` value.
fn label_of(x: u64) -> String {
    format!("label number {x:020}")
}

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn mt_string(x: u64) -> String {
    label_of(x)
}

#[cached::macros::cached(max_size = 10_000, ttl_secs = 600)]
fn peer_string(x: u64) -> String {
    label_of(x)
}

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn mt_vec(x: u64) -> Vec<u8> {
    vec![x as u8; 256]
}

#[cached::macros::cached(max_size = 10_000, ttl_secs = 600)]
fn peer_vec(x: u64) -> Vec<u8> {
    vec![x as u8; 256]
}

/// The same value shared instead of copied: a hit clones a pointer.
#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn mt_arc(x: u64) -> Arc<str> {
    label_of(x).into()
}

fn names() -> Vec<String> {
    (0..KEYS).map(|i| format!("user-{i:05}")).collect()
}

fn sync_hits(c: &mut Criterion) {
    let mut g = c.benchmark_group("hit_sync_u64");
    for i in 0..KEYS {
        mt_sync(i);
        peer_sync(i);
    }
    let qc: quick_cache::sync::Cache<u64, u64> = quick_cache::sync::Cache::new(10_000);
    let moka: moka::sync::Cache<u64, u64> = moka::sync::Cache::builder()
        .max_capacity(10_000)
        .time_to_live(Duration::from_secs(600))
        .build();
    for i in 0..KEYS {
        qc.insert(i, i * 2);
        moka.insert(i, i * 2);
    }
    let mut i = 0u64;
    let mut next = move || {
        i = (i + 1) % KEYS;
        i
    };
    g.bench_function("memotrace", |b| b.iter(|| mt_sync(black_box(next()))));
    g.bench_function("cached", |b| b.iter(|| peer_sync(black_box(next()))));
    g.bench_function("quick_cache_raw", |b| b.iter(|| qc.get(&black_box(next()))));
    g.bench_function("moka_raw", |b| b.iter(|| moka.get(&black_box(next()))));
    g.finish();

    let names = names();
    let mut g = c.benchmark_group("hit_sync_str");
    for n in &names {
        mt_str(n);
        peer_str(n);
    }
    let mut i = 0usize;
    g.bench_function("memotrace", |b| {
        b.iter(|| {
            i = (i + 1) % names.len();
            mt_str(black_box(&names[i]))
        })
    });
    g.bench_function("cached", |b| {
        b.iter(|| {
            i = (i + 1) % names.len();
            peer_str(black_box(&names[i]))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("hit_sync_three_args");
    for n in &names {
        mt_three(n, "team", 1);
        peer_three(n, "team", 1);
    }
    g.bench_function("memotrace", |b| {
        b.iter(|| {
            i = (i + 1) % names.len();
            mt_three(black_box(&names[i]), "team", 1)
        })
    });
    g.bench_function("cached", |b| {
        b.iter(|| {
            i = (i + 1) % names.len();
            peer_three(black_box(&names[i]), "team", 1)
        })
    });
    g.finish();
}

/// Hits returning owned values: every hit of either cache clones (allocates, copies,
/// and later frees) the value; `Arc<str>` is the allocation-free alternative.
fn owned_hits(c: &mut Criterion) {
    for i in 0..KEYS {
        mt_string(i);
        peer_string(i);
        mt_vec(i);
        peer_vec(i);
        mt_arc(i);
    }
    let mut i = 0u64;
    let mut next = move || {
        i = (i + 7) % KEYS;
        i
    };
    let mut g = c.benchmark_group("hit_sync_string_32");
    g.bench_function("memotrace", |b| b.iter(|| mt_string(black_box(next()))));
    g.bench_function("cached", |b| b.iter(|| peer_string(black_box(next()))));
    g.bench_function("memotrace_arc_str", |b| {
        b.iter(|| mt_arc(black_box(next())))
    });
    g.bench_function("string_clone_only", |b| {
        let value = label_of(7);
        b.iter(|| black_box(&value).clone())
    });
    g.finish();
    let mut g = c.benchmark_group("hit_sync_vec_256");
    g.bench_function("memotrace", |b| b.iter(|| mt_vec(black_box(next()))));
    g.bench_function("cached", |b| b.iter(|| peer_vec(black_box(next()))));
    g.finish();
}

fn async_hits(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        for i in 0..KEYS {
            mt_async(i).await;
            peer_async(i).await;
        }
    });
    let mut g = c.benchmark_group("hit_async_u64");
    let i = AtomicU64::new(0);
    let next = || i.fetch_add(1, Ordering::Relaxed) % KEYS;
    g.bench_function("memotrace", |b| {
        b.to_async(&rt).iter(|| mt_async(black_box(next())))
    });
    g.bench_function("cached", |b| {
        b.to_async(&rt).iter(|| peer_async(black_box(next())))
    });
    g.finish();
}

/// Two threads hitting the same cache: time per pair of hits (one on each thread).
fn two_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("hit_sync_2_threads");
    let run = |iters: u64, hit: fn(u64) -> u64| {
        let start = Arc::new(std::sync::Barrier::new(3));
        let threads: Vec<_> = (0..2u64)
            .map(|t| {
                let start = start.clone();
                std::thread::spawn(move || {
                    start.wait();
                    for n in 0..iters {
                        black_box(hit(black_box((n * 7 + t * 13) % KEYS)));
                    }
                })
            })
            .collect();
        start.wait();
        let began = Instant::now();
        for t in threads {
            t.join().unwrap();
        }
        began.elapsed()
    };
    g.bench_function("memotrace", |b| b.iter_custom(|iters| run(iters, mt_sync)));
    g.bench_function("cached", |b| b.iter_custom(|iters| run(iters, peer_sync)));
    g.finish();
}

static STORM_LOADS: AtomicU64 = AtomicU64::new(0);

#[memotrace::cached(max_capacity = 100_000)]
async fn mt_storm(key: u64) -> u64 {
    STORM_LOADS.fetch_add(1, Ordering::Relaxed);
    tokio::task::yield_now().await;
    key
}

#[cached::macros::cached(max_size = 100_000, sync_writes = "by_key")]
async fn peer_storm(key: u64) -> u64 {
    tokio::task::yield_now().await;
    key
}

/// 1,000 tasks miss the same fresh key at once: time until all have the value.
fn miss_storm(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let mut g = c.benchmark_group("miss_storm_1000_tasks");
    g.sample_size(20);
    let memotrace_storms = Arc::new(AtomicU64::new(0));
    for (name, which) in [("memotrace", 0), ("cached_sync_writes_by_key", 1)] {
        // Each storm misses a fresh key; the two libraries use disjoint key ranges.
        let key = if which == 0 {
            memotrace_storms.clone()
        } else {
            Arc::new(AtomicU64::new(1 << 40))
        };
        g.bench_with_input(BenchmarkId::from_parameter(name), &which, |b, &which| {
            b.to_async(&rt).iter_custom(|iters| {
                let key = key.clone();
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let k = key.fetch_add(1, Ordering::Relaxed);
                        let began = Instant::now();
                        let tasks: Vec<_> = (0..1_000)
                            .map(|_| {
                                tokio::spawn(async move {
                                    if which == 0 {
                                        mt_storm(k).await
                                    } else {
                                        peer_storm(k).await
                                    }
                                })
                            })
                            .collect();
                        for t in tasks {
                            black_box(t.await.unwrap());
                        }
                        total += began.elapsed();
                    }
                    total
                }
            });
        });
    }
    g.finish();
    eprintln!(
        "single-flight check: {} loads for {} storms (memotrace's share of the storms ran its loader once each)",
        STORM_LOADS.load(Ordering::Relaxed),
        memotrace_storms.load(Ordering::Relaxed),
    );
}

criterion_group!(
    benches,
    sync_hits,
    owned_hits,
    async_hits,
    two_threads,
    miss_storm
);
criterion_main!(benches);
