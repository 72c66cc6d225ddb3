//! Instructions per call of a memory-cache hit, a miss (load and store) and an
//! invalidate-then-reload cycle, for machines too noisy for wall-clock numbers: run one
//! case N times under callgrind, twice, and divide the difference.
//!
//! ```text
//! cargo build --release -p memotrace-benches --bin cache_instructions
//! for n in 1000 11000; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/cache_instructions hit $n; done   # (b - a) / 10000
//! ```
//! Cases: hit, string_hit, arc_hit (an `Arc<str>` value), miss, invalidate; the `cached`
//! crate's cached_hit, cached_string_hit and cached_miss; string_clone, cloning and
//! dropping the same `String` without any cache (the part of a `String` hit that any cache
//! returning an owned value pays); and, last so that their arms add no comparison to the
//! other cases, weighed_hit (`max_weight` with a weigher), ttl_hit (a fixed ttl) and
//! per_entry_hit (`ttl = |value| ..`).

use std::hint::black_box;

#[memotrace::cached(max_capacity = 100_000)]
fn square(x: u64) -> u64 {
    x * x
}

#[memotrace::cached(max_capacity = 100_000)]
fn label(x: u64) -> String {
    format!("label number {x:020}")
}

#[memotrace::cached(max_capacity = 100_000)]
fn shared_label(x: u64) -> std::sync::Arc<str> {
    label(x).into()
}

#[memotrace::cached(max_capacity = 100_000, max_weight = "64MiB", weigher = |_key, _value| 8)]
fn weighed_square(x: u64) -> u64 {
    x * x
}

#[memotrace::cached(max_capacity = 100_000, ttl = "1h")]
fn ttl_square(x: u64) -> u64 {
    x * x
}

#[memotrace::cached(max_capacity = 100_000, ttl = |_value| std::time::Duration::from_secs(3600))]
fn per_entry_square(x: u64) -> u64 {
    x * x
}

#[cached::macros::cached(max_size = 100_000)]
fn peer_square(x: u64) -> u64 {
    x * x
}

#[cached::macros::cached(max_size = 100_000)]
fn peer_label(x: u64) -> String {
    format!("label number {x:020}")
}

fn main() {
    let which = std::env::args().nth(1).unwrap();
    let n: u64 = std::env::args().nth(2).unwrap().parse().unwrap();
    black_box(square(7));
    black_box(label(7));
    black_box(shared_label(7));
    black_box(peer_square(7));
    black_box(peer_label(7));
    black_box(weighed_square(7));
    black_box(ttl_square(7));
    black_box(per_entry_square(7));
    let owned = label(7);
    for i in 0..n {
        match which.as_str() {
            "hit" => {
                black_box(square(black_box(7)));
            }
            "string_hit" => {
                black_box(label(black_box(7)));
            }
            "arc_hit" => {
                black_box(shared_label(black_box(7)));
            }
            "cached_hit" => {
                black_box(peer_square(black_box(7)));
            }
            "cached_string_hit" => {
                black_box(peer_label(black_box(7)));
            }
            "cached_miss" => {
                black_box(peer_square(black_box(1_000 + i)));
            }
            "string_clone" => {
                black_box(black_box(&owned).clone());
            }
            "miss" => {
                black_box(square(black_box(1_000 + i)));
            }
            "invalidate" => {
                square_invalidate(7);
                black_box(square(black_box(7)));
            }
            "weighed_hit" => {
                black_box(weighed_square(black_box(7)));
            }
            "ttl_hit" => {
                black_box(ttl_square(black_box(7)));
            }
            "per_entry_hit" => {
                black_box(per_entry_square(black_box(7)));
            }
            _ => unreachable!("unknown case {which}"),
        }
    }
}
