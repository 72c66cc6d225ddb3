//! Time per hit of a memoised fn returning an owned value — `u64`, a 32-byte `String`,
//! a 256-byte `Vec<u8>` — for `#[memotrace::cached]` and the `cached` crate's
//! `#[cached]`, over 1,000 keys visited with a stride (every call a hit), plus an
//! `Arc<str>` value, an `Arc<String>` value whose `String` the caller clones (what
//! storing values behind an `Arc` and cloning them outside the engine's lock would cost)
//! and the clone of a `String` alone.
//!
//! ```text
//! cargo run --release -p memotrace-benches --bin owned_hits -- [--calls N] [--rounds R]
//! ```
//! Each case runs `R` rounds of `N` calls (default 101 rounds of 100,000), interleaved
//! with the other cases; the table gives the fastest round (the one least disturbed by
//! other processes) and the median. Rounds are short (a few ms) so that on a busy
//! machine some of them run without being descheduled.

use memotrace_benches::machine::Machine;
use memotrace_benches::rounds::{fastest, median};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

const KEYS: u64 = 1_000;

fn label_of(x: u64) -> String {
    format!("label number {x:020}")
}

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn memo_u64(x: u64) -> u64 {
    x * 2
}

#[cached::macros::cached(max_size = 10_000, ttl_secs = 600)]
fn peer_u64(x: u64) -> u64 {
    x * 2
}

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn memo_string(x: u64) -> String {
    label_of(x)
}

#[cached::macros::cached(max_size = 10_000, ttl_secs = 600)]
fn peer_string(x: u64) -> String {
    label_of(x)
}

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn memo_vec(x: u64) -> Vec<u8> {
    vec![x as u8; 256]
}

#[cached::macros::cached(max_size = 10_000, ttl_secs = 600)]
fn peer_vec(x: u64) -> Vec<u8> {
    vec![x as u8; 256]
}

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn memo_arc(x: u64) -> Arc<str> {
    label_of(x).into()
}

#[memotrace::cached(ttl = "10m", max_capacity = 10_000)]
fn memo_arc_string(x: u64) -> Arc<String> {
    Arc::new(label_of(x))
}

/// One call of a case with key `x`; the result goes through `black_box` and is dropped.
type Case = fn(u64);

const CASES: [(&str, Case); 9] = [
    ("u64 / memotrace", |x| {
        black_box(memo_u64(x));
    }),
    ("u64 / cached", |x| {
        black_box(peer_u64(x));
    }),
    ("String(32) / memotrace", |x| {
        black_box(memo_string(x));
    }),
    ("String(32) / cached", |x| {
        black_box(peer_string(x));
    }),
    ("Vec<u8>(256) / memotrace", |x| {
        black_box(memo_vec(x));
    }),
    ("Vec<u8>(256) / cached", |x| {
        black_box(peer_vec(x));
    }),
    ("Arc<str> / memotrace", |x| {
        black_box(memo_arc(x));
    }),
    ("Arc<String>, String cloned / memotrace", |x| {
        black_box(String::clone(&memo_arc_string(x)));
    }),
    ("String(32) clone, no cache", |x| {
        thread_local!(static LABEL: String = label_of(7));
        LABEL.with(|l| {
            black_box(black_box(l).clone());
        });
        black_box(x);
    }),
];

/// Nanoseconds per call of `case` over `calls` calls, keys `0..KEYS` with a stride of 7.
fn round(case: Case, calls: u64) -> f64 {
    let mut key = 0;
    let started = Instant::now();
    for _ in 0..calls {
        key = (key + 7) % KEYS;
        case(black_box(key));
    }
    started.elapsed().as_nanos() as f64 / calls as f64
}

fn main() {
    let mut calls = 100_000u64;
    let mut rounds = 101usize;
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    while let Some(flag) = args.next() {
        let value: u64 = args
            .next()
            .and_then(|v| v.replace('_', "").parse().ok())
            .unwrap_or_else(|| {
                eprintln!("owned_hits: {flag} needs a number");
                std::process::exit(2)
            });
        match flag.as_str() {
            "--calls" => calls = value,
            "--rounds" => rounds = value as usize,
            _ => {
                eprintln!("owned_hits: unknown flag {flag}");
                std::process::exit(2)
            }
        }
    }
    for key in 0..KEYS {
        CASES.iter().for_each(|(_, case)| case(key));
    }
    println!("# {calls} calls per round, {rounds} interleaved rounds, {KEYS} keys");
    println!("# start: {}", Machine::now());
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); CASES.len()];
    for _ in 0..rounds {
        for (times, (_, case)) in per.iter_mut().zip(CASES) {
            times.push(round(case, calls));
        }
    }
    println!("\n| case | fastest round | median round |");
    println!("|---|---|---|");
    let best: Vec<f64> = per.iter().map(|t| fastest(t)).collect();
    for ((name, _), times) in CASES.iter().zip(per) {
        println!(
            "| {name} | {:.1} ns | {:.1} ns |",
            fastest(&times),
            median(times)
        );
    }
    println!("\nmemotrace ÷ cached, fastest rounds:");
    for (kind, i) in [("u64", 0), ("String(32)", 2), ("Vec<u8>(256)", 4)] {
        println!("  {kind}: {:.2}×", best[i] / best[i + 1]);
    }
    println!("\n# end: {}", Machine::now());
}
