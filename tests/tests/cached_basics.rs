//! `#[cached]` on the memory store: keys, return shapes, companions, registry.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

static SQUARE_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Squares (doc comments stay on the cached fn).
#[memotrace::cached]
fn square(x: u64) -> u64 {
    SQUARE_CALLS.fetch_add(1, SeqCst);
    x * x
}

#[test]
fn repeated_calls_hit_and_count() {
    assert_eq!(square(3), 9);
    assert_eq!(square(3), 9);
    assert_eq!(square(4), 16);
    assert_eq!(SQUARE_CALLS.load(SeqCst), 2);
    let stats = square_cache().stats();
    assert_eq!(
        (stats.hits, stats.misses, stats.loads, stats.entries),
        (1, 2, 2, 2)
    );
    assert!((stats.hit_ratio() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(stats.capacity, memotrace::cache::DEFAULT_MAX_CAPACITY);
}

#[memotrace::cached]
fn halve(x: u64) -> u64 {
    x / 2
}

/// Hits and misses are counted per thread; with more threads than the counters keep
/// per-thread slots for, two waves of threads (the second reusing the first's slots),
/// every call is counted exactly once.
#[test]
fn concurrent_calls_are_each_counted_once() {
    const THREADS: u64 = 24;
    const CALLS: u64 = 100_000;
    for _ in 0..2 {
        let start = std::sync::Barrier::new(THREADS as usize);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    for i in 0..CALLS {
                        assert_eq!(halve((t + i) % 64), (t + i) % 64 / 2);
                    }
                });
            }
        });
    }
    let stats = halve_cache().stats();
    assert_eq!(stats.hits + stats.misses, 2 * THREADS * CALLS);
    assert_eq!(stats.loads, 64);
}

static GREET_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
fn greet(name: &str) -> String {
    GREET_CALLS.fetch_add(1, SeqCst);
    format!("hello {name}")
}

#[test]
fn borrowed_str_argument_is_owned_in_the_key() {
    let owned = String::from("ada");
    assert_eq!(greet(&owned), "hello ada");
    drop(owned);
    assert_eq!(greet("ada"), "hello ada");
    assert_eq!(greet("bob"), "hello bob");
    assert_eq!(GREET_CALLS.load(SeqCst), 2);
    assert!(greet_invalidate("ada"));
    assert!(!greet_invalidate("ada"));
    assert_eq!(greet("ada"), "hello ada");
    assert_eq!(GREET_CALLS.load(SeqCst), 3);
}

static SUM_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
fn sum(values: &[i64]) -> i64 {
    SUM_CALLS.fetch_add(1, SeqCst);
    values.iter().sum()
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct Query {
    term: String,
    page: u32,
}

static SEARCH_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(max_capacity = 100)]
fn search(query: &Query, limit: usize, tag: &str) -> Vec<String> {
    SEARCH_CALLS.fetch_add(1, SeqCst);
    vec![format!("{}:{}:{limit}:{tag}", query.term, query.page)]
}

#[test]
fn slices_references_and_several_arguments_make_keys() {
    assert_eq!(sum(&[1, 2, 3]), 6);
    let owned: Vec<i64> = vec![1, 2, 3];
    assert_eq!(sum(&owned), 6, "a Vec's slice finds the same entry");
    assert_eq!(sum(&[1, 2]), 3);
    assert_eq!(SUM_CALLS.load(SeqCst), 2);

    let q = Query {
        term: "rust".into(),
        page: 1,
    };
    assert_eq!(search(&q, 10, "a"), vec!["rust:1:10:a"]);
    assert_eq!(search(&q.clone(), 10, "a"), vec!["rust:1:10:a"]);
    assert_eq!(search(&q, 11, "a"), vec!["rust:1:11:a"]);
    assert_eq!(search(&q, 10, "b"), vec!["rust:1:10:b"]);
    assert_eq!(SEARCH_CALLS.load(SeqCst), 3);
    assert!(search_invalidate(&q, 10, "a"));
    assert_eq!(search_cache().stats().entries, 2);
}

static PARSE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    PARSE_CALLS.fetch_add(1, SeqCst);
    text.parse()
}

#[test]
fn result_caches_ok_only() {
    assert_eq!(parse("7"), Ok(7));
    assert_eq!(parse("7"), Ok(7));
    assert!(parse("x").is_err());
    assert!(parse("x").is_err());
    assert_eq!(PARSE_CALLS.load(SeqCst), 3);
    let stats = parse_cache().stats();
    assert_eq!((stats.entries, stats.load_errors), (1, 2));
}

static FIND_CALLS: AtomicUsize = AtomicUsize::new(0);
static FIND_ALL_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
fn find(id: u32) -> Option<String> {
    FIND_CALLS.fetch_add(1, SeqCst);
    id.is_multiple_of(2).then(|| format!("user {id}"))
}

#[memotrace::cached(cache_none = true)]
fn find_all(id: u32) -> Option<String> {
    FIND_ALL_CALLS.fetch_add(1, SeqCst);
    id.is_multiple_of(2).then(|| format!("user {id}"))
}

#[test]
fn option_caches_some_only_unless_cache_none() {
    for _ in 0..3 {
        assert_eq!(find(2).as_deref(), Some("user 2"));
        assert_eq!(find(3), None);
    }
    assert_eq!(FIND_CALLS.load(SeqCst), 1 + 3);
    for _ in 0..3 {
        assert_eq!(find_all(2).as_deref(), Some("user 2"));
        assert_eq!(find_all(3), None);
    }
    assert_eq!(FIND_ALL_CALLS.load(SeqCst), 2);
    assert_eq!(find_all_cache().stats().entries, 2);
}

static KEYED_CALLS: AtomicUsize = AtomicUsize::new(0);

struct Db;

#[memotrace::cached(key = "user:{id}", name = "keyed_user")]
fn keyed(db: &Db, id: u64, verbose: bool) -> String {
    let _ = db;
    KEYED_CALLS.fetch_add(1, SeqCst);
    format!("user {id} {verbose}")
}

#[memotrace::cached(key = id / 10)]
fn bucket(id: u64) -> u64 {
    id / 10
}

#[test]
fn key_templates_and_expressions_pick_the_arguments_that_matter() {
    assert_eq!(keyed(&Db, 1, true), "user 1 true");
    // `verbose` is not part of the key: the cached value answers.
    assert_eq!(keyed(&Db, 1, false), "user 1 true");
    assert_eq!(KEYED_CALLS.load(SeqCst), 1);
    assert!(keyed_invalidate(&Db, 1, false));
    assert_eq!(keyed_cache().config().name, "keyed_user");
    assert_eq!(keyed_cache().get("user:1"), None);

    assert_eq!(bucket(11), 1);
    assert_eq!(bucket(12), 1);
    assert_eq!(bucket_cache().stats().misses, 1);
    assert_eq!(bucket_cache().get("1"), Some(1));
}

static WHEN_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(when = id > 0, unless = |value| value.is_empty())]
fn lookup_name(id: i64) -> String {
    WHEN_CALLS.fetch_add(1, SeqCst);
    if id == 5 {
        String::new()
    } else {
        format!("n{id}")
    }
}

#[test]
fn when_bypasses_and_unless_skips_storing() {
    lookup_name(-1);
    lookup_name(-1);
    assert_eq!(WHEN_CALLS.load(SeqCst), 2, "negative ids bypass the cache");
    lookup_name(5);
    lookup_name(5);
    assert_eq!(WHEN_CALLS.load(SeqCst), 4, "empty values are not stored");
    lookup_name(6);
    lookup_name(6);
    assert_eq!(WHEN_CALLS.load(SeqCst), 5);
    let stats = lookup_name_cache().stats();
    assert_eq!((stats.bypassed, stats.entries, stats.hits), (2, 1, 1));
}

static UNCACHED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
fn counted(x: u8) -> u8 {
    UNCACHED_CALLS.fetch_add(1, SeqCst);
    x
}

#[test]
fn uncached_companion_runs_the_body_and_clear_empties() {
    counted(1);
    counted_uncached(1);
    counted_uncached(1);
    counted(1);
    assert_eq!(UNCACHED_CALLS.load(SeqCst), 3);
    assert_eq!(counted_cache().stats().entries, 1);
    counted_cache().clear();
    assert_eq!(counted_cache().stats().entries, 0);
    counted(1);
    assert_eq!(UNCACHED_CALLS.load(SeqCst), 4);
}

#[memotrace::cached(max_capacity = 50)]
fn bounded(x: u32) -> u32 {
    x
}

#[test]
fn capacity_bounds_entries_and_counts_evictions() {
    for i in 0..1_000 {
        bounded(i);
    }
    let stats = bounded_cache().stats();
    assert!(stats.entries <= 50, "{} entries held", stats.entries);
    assert!(stats.evictions >= 900, "{} evictions", stats.evictions);
    assert_eq!(stats.capacity, 50);
}

#[derive(Clone)]
struct UserRepo {
    tenant: u32,
    loads: std::sync::Arc<AtomicUsize>,
}

impl UserRepo {
    #[memotrace::cached(key = "{self.tenant}:{id}", namespace = "users", version = 2)]
    fn name(&self, id: u64) -> String {
        self.loads.fetch_add(1, SeqCst);
        format!("t{}-u{id}", self.tenant)
    }

    #[memotrace::cached(key = format!("{id}"))]
    async fn email(&self, id: u64) -> Option<String> {
        self.loads.fetch_add(1, SeqCst);
        Some(format!("{id}@example.com"))
    }
}

#[tokio::test]
async fn methods_cache_with_an_explicit_key() {
    let repo = UserRepo {
        tenant: 1,
        loads: Default::default(),
    };
    let other = UserRepo {
        tenant: 2,
        loads: repo.loads.clone(),
    };
    assert_eq!(repo.name(7), "t1-u7");
    assert_eq!(repo.name(7), "t1-u7");
    assert_eq!(other.name(7), "t2-u7");
    assert_eq!(repo.loads.load(SeqCst), 2);
    assert!(repo.name_invalidate(7));
    assert_eq!(UserRepo::name_cache().config().namespace, Some("users"));
    assert_eq!(UserRepo::name_cache().config().version, Some(2));

    assert_eq!(repo.email(3).await.as_deref(), Some("3@example.com"));
    assert_eq!(other.email(3).await.as_deref(), Some("3@example.com"));
    assert_eq!(repo.loads.load(SeqCst), 3);
    assert!(UserRepo::email_invalidate(3));
}

#[memotrace::cached(tti = "1m")]
fn idle_listed(x: u8) -> u8 {
    x
}

#[test]
fn registry_lists_every_used_cache_with_stats() {
    idle_listed(1);
    idle_listed(1);
    let caches = memotrace::cache::registry();
    let listed = caches
        .iter()
        .find(|c| c.name == concat!(module_path!(), "::idle_listed"))
        .expect("registered");
    assert_eq!(listed.store, "moka");
    assert_eq!((listed.stats.hits, listed.stats.misses), (1, 1));
    let mut names: Vec<_> = caches.iter().map(|c| c.name).collect();
    let sorted = {
        let mut s = names.clone();
        s.sort_unstable();
        s
    };
    assert_eq!(names, sorted);
    names.dedup();
    assert_eq!(names.len(), caches.len(), "each cache registered once");
}

static PUT_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(key = "user:{id}", tags = ["user:{id}"])]
fn user_name(id: u64) -> Result<String, String> {
    PUT_LOADS.fetch_add(1, SeqCst);
    Ok(format!("loaded {id}"))
}

#[tokio::test]
async fn put_companion_writes_through_with_the_same_key_and_tags() {
    user_name_put(5, "created 5".to_owned());
    assert_eq!(
        user_name(5).unwrap(),
        "created 5",
        "the written value answers"
    );
    assert_eq!(PUT_LOADS.load(SeqCst), 0);
    assert_eq!(
        user_name_cache().get("user:5").as_deref(),
        Some("created 5")
    );
    assert_eq!(
        memotrace::cache::invalidate_tag("user:5").await,
        1,
        "put entries carry their tags"
    );
    assert_eq!(user_name(5).unwrap(), "loaded 5");
    assert_eq!(PUT_LOADS.load(SeqCst), 1);
}

mod reexport {
    pub use memotrace as runtime;
}

#[memotrace::cached(crate = "crate::reexport::runtime", ttl = "1m")]
fn through_reexport(x: u8) -> u8 {
    x + 1
}

#[test]
fn crate_argument_points_the_expansion_at_a_reexport() {
    assert_eq!(through_reexport(1), 2);
    assert_eq!(through_reexport(1), 2);
    assert_eq!(through_reexport_cache().stats().hits, 1);
}
