//! The main demo: memotrace's caching in a few lines, on the in-memory store.
//!
//! Run it with `cargo run -p memotrace-examples --example quickstart`.

use std::time::{Duration, Instant};

/// The seed's `@lru_cache(maxsize=128)` on `get_user_permissions`, with a ttl.
#[memotrace::cached(ttl = "10m", max_capacity = 128)]
fn user_permissions(user_id: u64) -> Vec<String> {
    std::thread::sleep(Duration::from_millis(50)); // an expensive query
    vec![format!("read:{user_id}"), "write".to_owned()]
}

/// The seed's `timed_lru_cache(seconds=300)` on `get_config_value`: a `&str` argument is
/// looked up without allocating.
#[memotrace::cached(ttl = "5m", max_capacity = 100)]
fn config_value(key: &str) -> Option<String> {
    std::thread::sleep(Duration::from_millis(20));
    (key == "region").then(|| "eu-west-1".to_owned())
}

fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let value = f();
    println!(
        "{label:<32} {:>9.3} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    value
}

fn main() {
    timed("user_permissions(7)  miss", || user_permissions(7));
    timed("user_permissions(7)  hit", || user_permissions(7));
    timed("config_value(region) miss", || config_value("region"));
    timed("config_value(region) hit", || config_value("region"));

    user_permissions_invalidate(7);
    timed("user_permissions(7)  after invalidate", || {
        user_permissions(7)
    });

    for cache in memotrace::cache::registry() {
        let s = cache.stats;
        println!(
            "cache {:<45} hits={} misses={} loads={} entries={}/{} hit_ratio={:.2}",
            cache.name,
            s.hits,
            s.misses,
            s.loads,
            s.entries,
            s.capacity,
            s.hit_ratio()
        );
    }
}
