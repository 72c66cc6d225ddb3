//! Throughput of memoised calls from 2 threads at once (the machine's core count):
//! one hot key, and a Zipf 1.0 stream over 1 M keys into 100 k entries, for
//! `#[memotrace::cached]`, moka and the `cached` crate's `#[cached]`.
//!
//! ```text
//! cargo run --release -p memotrace-benches --bin contention -- [--ops N] [--rounds R]
//! ```
//! Each figure is the median of `R` interleaved rounds of `N` calls per thread.

use cached::macros::cached;
use memotrace_benches::hit_ratio::workload;
use memotrace_benches::machine::Machine;
use memotrace_benches::rounds::median;
use std::hint::black_box;
use std::sync::Barrier;
use std::time::Instant;

const THREADS: usize = 2;
const DISTINCT: u64 = 1_000_000;

#[memotrace::cached(max_capacity = 100_000)]
fn memo(key: u64) -> u64 {
    key.wrapping_mul(31)
}

#[cached(max_size = 100_000)]
fn peer(key: u64) -> u64 {
    key.wrapping_mul(31)
}

fn moka_cache() -> &'static moka::sync::Cache<u64, u64> {
    static CACHE: std::sync::LazyLock<moka::sync::Cache<u64, u64>> =
        std::sync::LazyLock::new(|| moka::sync::Cache::new(100_000));
    &CACHE
}

fn via_moka(key: u64) -> u64 {
    moka_cache().get_with(key, || key.wrapping_mul(31))
}

/// A memoised call: a key in, the (possibly cached) value out.
type Call = fn(u64) -> u64;

const CONTENDERS: [(&str, Call); 3] = [("memotrace", memo), ("moka", via_moka), ("cached", peer)];

/// Calls per second of `call` over `streams` (one per thread), all threads together.
fn throughput(call: Call, streams: &[Vec<u64>]) -> f64 {
    let start = Barrier::new(streams.len());
    let elapsed = std::thread::scope(|s| {
        let handles: Vec<_> = streams
            .iter()
            .map(|keys| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    let t = Instant::now();
                    keys.iter().for_each(|&k| {
                        black_box(call(black_box(k)));
                    });
                    t.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap()
    });
    let ops: usize = streams.iter().map(Vec::len).sum();
    ops as f64 / elapsed.as_secs_f64()
}

fn main() {
    let mut ops = 2_000_000usize;
    let mut rounds = 5usize;
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    while let Some(flag) = args.next() {
        let value: usize = args
            .next()
            .and_then(|v| v.replace('_', "").parse().ok())
            .unwrap_or_else(|| {
                eprintln!("contention: {flag} needs a number");
                std::process::exit(2)
            });
        match flag.as_str() {
            "--ops" => ops = value,
            "--rounds" => rounds = value,
            _ => {
                eprintln!("contention: unknown flag {flag}");
                std::process::exit(2)
            }
        }
    }
    let hot: Vec<Vec<u64>> = vec![vec![7; ops]; THREADS];
    let zipf: Vec<Vec<u64>> = (0..THREADS as u64)
        .map(|t| workload::zipf(1.0, DISTINCT, ops, 100 + t))
        .collect();
    println!("# {THREADS} threads, {ops} calls per thread, median of {rounds} interleaved rounds");
    println!("# start: {}", Machine::now());
    println!("\n| stream | memotrace | moka | cached | memotrace / cached |");
    println!("|---|---|---|---|---|");
    for (name, streams) in [
        ("hot key", &hot),
        ("Zipf 1.0, 1 M keys, 100 k entries", &zipf),
    ] {
        // Warm every cache first, so rounds compare steady states.
        for (_, f) in CONTENDERS {
            throughput(f, streams);
        }
        let mut per: Vec<Vec<f64>> = vec![Vec::new(); CONTENDERS.len()];
        for _ in 0..rounds {
            for (i, (_, f)) in CONTENDERS.iter().enumerate() {
                per[i].push(throughput(*f, streams));
            }
        }
        let m: Vec<f64> = per.into_iter().map(median).collect();
        println!(
            "| {name} | {:.1} M/s | {:.1} M/s | {:.1} M/s | {:.2}× |",
            m[0] / 1e6,
            m[1] / 1e6,
            m[2] / 1e6,
            m[0] / m[2]
        );
    }
    println!("\n# end: {}", Machine::now());
}
