//! Resident memory per cached entry at 1 M entries, `#[memotrace::cached]`'s memory
//! store against moka and the `cached` crate, each measured in a fresh process from
//! `/proc/self/statm` (RSS before and after filling the cache).
//!
//! ```text
//! cargo run --release -p memotrace-benches --bin memory_per_entry
//! ```
//! Without arguments it runs every contender × shape in a child process of its own and
//! prints a table; `memory_per_entry <contender> <shape>` measures one. The `payload`
//! row holds the same keys and values in a `Vec`, so overhead = row − payload.

use cached::{Cached, LruCache};
use memotrace_benches::machine::Machine;
use std::hint::black_box;
use std::process::Command;

const ENTRIES: u64 = 1_000_000;
const CONTENDERS: [&str; 4] = ["payload", "memotrace", "moka", "cached"];
const SHAPES: [&str; 2] = ["u64->String(32)", "String(24)->Vec<u8>(256)"];

fn small_value(i: u64) -> String {
    format!("{i:032}")
}

fn small_key(i: u64) -> String {
    format!("{i:024}")
}

fn big_value(i: u64) -> Vec<u8> {
    vec![i as u8; 256]
}

#[memotrace::cached(max_capacity = 1_000_000)]
fn memo_small(i: u64) -> String {
    small_value(i)
}

#[memotrace::cached(max_capacity = 1_000_000)]
fn memo_big(key: &str) -> Vec<u8> {
    big_value(key.len() as u64)
}

/// Resident set size in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// Fills one contender with [`ENTRIES`] entries of one shape; returns the entries held.
/// The cache is kept alive (leaked) until the caller has read the RSS.
fn fill(contender: &str, shape: &str) -> u64 {
    let big = shape == SHAPES[1];
    match (contender, big) {
        ("payload", false) => {
            let v: Vec<_> = (0..ENTRIES).map(|i| (i, small_value(i))).collect();
            std::mem::forget(v);
            ENTRIES
        }
        ("payload", true) => {
            let v: Vec<_> = (0..ENTRIES).map(|i| (small_key(i), big_value(i))).collect();
            std::mem::forget(v);
            ENTRIES
        }
        ("memotrace", false) => {
            (0..ENTRIES).for_each(|i| drop(black_box(memo_small(i))));
            memo_small_cache().stats().entries
        }
        ("memotrace", true) => {
            (0..ENTRIES).for_each(|i| drop(black_box(memo_big(&small_key(i)))));
            memo_big_cache().stats().entries
        }
        ("moka", false) => {
            let c = moka::sync::Cache::new(ENTRIES);
            (0..ENTRIES).for_each(|i| c.insert(i, small_value(i)));
            c.run_pending_tasks();
            let n = c.entry_count();
            std::mem::forget(c);
            n
        }
        ("moka", true) => {
            let c = moka::sync::Cache::new(ENTRIES);
            (0..ENTRIES).for_each(|i| c.insert(small_key(i), big_value(i)));
            c.run_pending_tasks();
            let n = c.entry_count();
            std::mem::forget(c);
            n
        }
        ("cached", false) => {
            let mut c = LruCache::new(ENTRIES as usize);
            (0..ENTRIES).for_each(|i| drop(c.cache_set(i, small_value(i))));
            let n = c.cache_size() as u64;
            std::mem::forget(c);
            n
        }
        ("cached", true) => {
            let mut c = LruCache::new(ENTRIES as usize);
            (0..ENTRIES).for_each(|i| drop(c.cache_set(small_key(i), big_value(i))));
            let n = c.cache_size() as u64;
            std::mem::forget(c);
            n
        }
        _ => panic!("unknown contender {contender} or shape {shape}"),
    }
}

fn measure(contender: &str, shape: &str) {
    let before = rss();
    let held = fill(contender, shape);
    let grown = rss() - before;
    println!("{} {held}", grown as f64 / held as f64);
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let [contender, shape] = &args[..] {
        return measure(contender, shape);
    }
    println!("# RSS growth per entry, {ENTRIES} entries, one process per row");
    println!("# {}", Machine::now());
    println!("\n| contender | {} | {} |", SHAPES[0], SHAPES[1]);
    println!("|---|---|---|");
    let exe = std::env::current_exe().expect("own path");
    for contender in CONTENDERS {
        print!("| {contender} |");
        for shape in SHAPES {
            let out = Command::new(&exe)
                .args([contender, shape])
                .output()
                .expect("child runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            let mut fields = text.split_whitespace();
            let per: f64 = fields.next().unwrap().parse().unwrap();
            let held = fields.next().unwrap();
            print!(" {per:.0} B ({held} held) |");
        }
        println!();
    }
}
