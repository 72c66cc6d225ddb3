//! Redis faults: a server paused for writes, sleeping, stopped and killed while 200 tasks
//! call through a cache. The loader answers a per-key version the test bumps on every
//! write, so a stale answer is caught; every call is timed against the documented bound
//! (one response timeout, plus the connect timeout when reconnecting, beyond the
//! loader's time). Also the orphaned load lock and the lock watchdog.
//!
//! Run: `cargo test -p memotrace-tests --all-features --test redis_faults -- --nocapture`
//! (prints the worst latency per fault).

use memotrace::__private::lock_key;
use memotrace::cache::redis::{RedisBackend, RedisCache, RedisConfig, TieredCache};
use memotrace::cache::CacheConfig;
use memotrace_tests::redis_harness::{cli, through, RedisServer};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RESPONSE: Duration = Duration::from_millis(200);
const CONNECT: Duration = Duration::from_millis(200);
const LOADER: Duration = Duration::from_millis(5);
/// The longest lease of a load lock (`min(lock_timeout, 3 s)`).
const MAX_LEASE: Duration = Duration::from_secs(3);
/// Scheduling slack: 200 tasks on a shared 2-core machine, debug build.
const SLACK: Duration = Duration::from_millis(150);
const TASKS: usize = 200;
const KEYS: usize = 20;
const PHASES: [&str; 6] = [
    "healthy",
    "CLIENT PAUSE 1000 WRITE",
    "DEBUG SLEEP 1",
    "SIGSTOP 1 s / SIGCONT",
    "kill, restart",
    "recovered",
];

fn backend(server: &RedisServer, prefix: &str) -> RedisBackend {
    RedisBackend::connect(
        RedisConfig::url(server.url())
            .key_prefix(prefix)
            .response_timeout(RESPONSE)
            .connect_timeout(CONNECT),
    )
    .unwrap()
}

/// The source of truth: per key, the version written last, and the version of the last
/// write whose invalidation has returned.
struct Versions {
    current: Vec<AtomicU64>,
    completed: Vec<AtomicU64>,
}

impl Versions {
    fn new() -> Arc<Self> {
        let zeros = || (0..KEYS).map(|_| AtomicU64::new(0)).collect();
        Arc::new(Self {
            current: zeros(),
            completed: zeros(),
        })
    }

    /// The loader: the version now, after the loader's own time.
    async fn load(&self, key: usize) -> u64 {
        let v = self.current[key].load(Ordering::SeqCst);
        tokio::time::sleep(LOADER).await;
        v
    }
}

#[derive(Clone, Copy)]
enum Store {
    Redis(&'static RedisCache<u64>),
    Tiered(&'static TieredCache<u64>),
}

impl Store {
    async fn call(self, key: usize, versions: Arc<Versions>) -> u64 {
        let k = key.to_string();
        let load = move || async move { versions.load(key).await };
        match self {
            Self::Redis(c) => through(c, &k, vec![], load).await,
            Self::Tiered(c) => through(c, &k, vec![], load).await,
        }
    }

    async fn invalidate(self, key: usize) {
        let k = key.to_string();
        match self {
            Self::Redis(c) => drop(c.invalidate(&k).await),
            Self::Tiered(c) => drop(c.invalidate(&k).await),
        }
    }
}

/// What the callers saw, per phase of the fault sequence.
struct Seen {
    phase: AtomicUsize,
    worst_us: Vec<AtomicU64>,
    calls: Vec<AtomicU64>,
    slow: Vec<AtomicU64>,
    wrong: Vec<AtomicU64>,
}

impl Seen {
    fn record(&self, phase: usize, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.worst_us[phase].fetch_max(us, Ordering::Relaxed);
        self.calls[phase].fetch_add(1, Ordering::Relaxed);
        if took > Duration::from_millis(600) {
            self.slow[phase].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Pauses the fault driver; the fault's own duration, not a synchronisation.
fn hold(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// Runs the fault sequence on `server` while 200 tasks call `store` and one writer bumps
/// versions and invalidates; asserts 0 wrong values, 0 panics and the latency bound.
async fn under_faults(mut server: RedisServer, store: Store) {
    let versions = Versions::new();
    let seen = Arc::new(Seen {
        phase: AtomicUsize::new(0),
        worst_us: PHASES.iter().map(|_| AtomicU64::new(0)).collect(),
        calls: PHASES.iter().map(|_| AtomicU64::new(0)).collect(),
        slow: PHASES.iter().map(|_| AtomicU64::new(0)).collect(),
        wrong: PHASES.iter().map(|_| AtomicU64::new(0)).collect(),
    });
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..TASKS)
        .map(|t| {
            let (versions, seen, stop) = (versions.clone(), seen.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = t;
                while !stop.load(Ordering::Relaxed) {
                    n = n.wrapping_mul(31).wrapping_add(7);
                    let key = n % KEYS;
                    let phase = seen.phase.load(Ordering::SeqCst);
                    let floor = versions.completed[key].load(Ordering::SeqCst);
                    let started = Instant::now();
                    let got = store.call(key, versions.clone()).await;
                    seen.record(phase, started.elapsed());
                    if got < floor {
                        seen.wrong[phase].fetch_add(1, Ordering::Relaxed);
                    }
                    // An L1 hit never waits: without this, callers answered from memory
                    // would keep the two workers from the others.
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let writer = {
        let (versions, stop) = (versions.clone(), stop.clone());
        tokio::spawn(async move {
            let mut key = 0;
            while !stop.load(Ordering::Relaxed) {
                key = (key + 7) % KEYS;
                let v = versions.current[key].fetch_add(1, Ordering::SeqCst) + 1;
                store.invalidate(key).await;
                versions.completed[key].store(v, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let phases = seen.clone();
    let driver = tokio::task::spawn_blocking(move || {
        let next = |p: usize| phases.phase.store(p, Ordering::SeqCst);
        hold(300);
        next(1);
        server.cli(&["CLIENT", "PAUSE", "1000", "WRITE"]);
        hold(1_300);
        next(2);
        server.cli(&["DEBUG", "SLEEP", "1"]);
        hold(300);
        next(3);
        server.freeze();
        hold(1_000);
        server.thaw();
        hold(300);
        next(4);
        server.kill();
        hold(500);
        server.restart();
        hold(300);
        next(5);
        hold(300);
        server
    });
    let server = driver.await.expect("fault driver");
    stop.store(true, Ordering::Relaxed);
    let mut panics = 0;
    for task in callers.into_iter().chain([writer]) {
        panics += usize::from(task.await.is_err());
    }
    drop(server);
    let bound = RESPONSE + CONNECT + LOADER + SLACK;
    let mut worst = Duration::ZERO;
    for (i, name) in PHASES.iter().enumerate() {
        let phase_worst = Duration::from_micros(seen.worst_us[i].load(Ordering::Relaxed));
        worst = worst.max(phase_worst);
        println!(
            "{name}: {} calls, worst {phase_worst:?}, {} over 600 ms, {} stale",
            seen.calls[i].load(Ordering::Relaxed),
            seen.slow[i].load(Ordering::Relaxed),
            seen.wrong[i].load(Ordering::Relaxed),
        );
    }
    assert_eq!(panics, 0, "caller tasks panicked");
    let wrong: u64 = seen.wrong.iter().map(|w| w.load(Ordering::Relaxed)).sum();
    assert_eq!(wrong, 0, "{wrong} stale values served");
    assert!(
        seen.calls.iter().all(|c| c.load(Ordering::Relaxed) > 0),
        "every phase saw calls"
    );
    assert!(worst <= bound, "a call took {worst:?}, bound {bound:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_keeps_the_latency_bound_under_faults() {
    let server = RedisServer::start();
    let cache: &'static RedisCache<u64> = Box::leak(Box::new(RedisCache::with_backend(
        CacheConfig::new("faults").ttl(Duration::from_secs(60)),
        backend(&server, "f-redis"),
    )));
    under_faults(server, Store::Redis(cache)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiered_store_keeps_the_latency_bound_under_faults() {
    let server = RedisServer::start();
    let cache: &'static TieredCache<u64> = Box::leak(Box::new(TieredCache::with_backend(
        CacheConfig::new("faults_tiered").ttl(Duration::from_secs(60)),
        backend(&server, "f-tiered"),
    )));
    under_faults(server, Store::Tiered(cache)).await;
}

/// `SET NX` for the lock times out while writes are paused; the paused `SET` runs
/// later. The next caller of the key, on a healthy server, must not wait for that
/// orphaned lock (`lock_timeout` is 30 s, so a regression shows as a 30 s stall).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphaned_lock_does_not_block_the_next_caller() {
    let server = RedisServer::start();
    let cache: &'static RedisCache<u64> = Box::leak(Box::new(
        RedisCache::with_backend(
            CacheConfig::new("orphan").ttl(Duration::from_secs(60)),
            backend(&server, "f-orphan"),
        )
        .lock_timeout(Duration::from_secs(30)),
    ));
    server.cli(&["CLIENT", "PAUSE", "2000", "WRITE"]);
    let started = Instant::now();
    assert_eq!(through(cache, "k", vec![], || async { 1 }).await, 1);
    assert!(
        started.elapsed() < RESPONSE + SLACK,
        "the paused call took {:?}",
        started.elapsed()
    );
    assert!(
        cache.stats().store_errors > 0,
        "the lock acquire did not time out"
    );
    // The paused `SET NX` (and whatever follows it) runs now.
    server.cli(&["CLIENT", "UNPAUSE"]);
    let started = Instant::now();
    let next = tokio::time::timeout(
        Duration::from_secs(5),
        through(cache, "k", vec![], || async { 2 }),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(
        next,
        Ok(2),
        "the next caller waited {took:?} for an orphaned lock"
    );
    assert!(
        took < Duration::from_secs(1),
        "the next caller took {took:?}"
    );
    let lock = lock_key(&cache.redis_key("k"));
    assert_eq!(
        server.cli(&["EXISTS", &lock]),
        "0",
        "the lock outlived its load"
    );
    println!("next caller after the orphaned acquire: {took:?}");
}

/// A load three times longer than `lock_timeout`, started at the same time in two
/// processes (two backends): the watchdog keeps the lock, the loader runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchdog_keeps_a_long_load_single_across_processes() {
    let server = RedisServer::start();
    let lock_timeout = Duration::from_millis(600);
    let caches: Vec<&'static RedisCache<u64>> = (0..2)
        .map(|_| {
            &*Box::leak(Box::new(
                RedisCache::with_backend(
                    CacheConfig::new("long_load").ttl(Duration::from_secs(60)),
                    backend(&server, "f-watchdog"),
                )
                .lock_timeout(lock_timeout),
            ))
        })
        .collect();
    let runs = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let started_tx = Arc::new(std::sync::Mutex::new(Some(started_tx)));
    let call = |cache: &'static RedisCache<u64>| {
        let (runs, started_tx) = (runs.clone(), started_tx.clone());
        tokio::spawn(async move {
            through(cache, "slow", vec![], move || async move {
                runs.fetch_add(1, Ordering::SeqCst);
                if let Some(tx) = started_tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                tokio::time::sleep(lock_timeout * 3).await;
                42
            })
            .await
        })
    };
    let first = call(caches[0]);
    started_rx.await.expect("the first loader started");
    let second = call(caches[1]);
    assert_eq!(first.await.unwrap(), 42);
    assert_eq!(second.await.unwrap(), 42);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the loader ran twice");
    let lost: u64 = caches.iter().map(|c| c.stats().lock_timeouts).sum();
    assert_eq!(lost, 0, "a lock was lost while its loader ran");
}

/// A lock whose owner stops renewing it (the lease lapses) is counted as lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_lock_is_counted() {
    let server = RedisServer::start();
    let cache: &'static RedisCache<u64> = Box::leak(Box::new(
        RedisCache::with_backend(
            CacheConfig::new("lost").ttl(Duration::from_secs(60)),
            backend(&server, "f-lost"),
        )
        .lock_timeout(Duration::from_millis(300)),
    ));
    let lock = lock_key(&cache.redis_key("k"));
    let (loading_tx, loading_rx) = tokio::sync::oneshot::channel::<()>();
    let (resume_tx, resume_rx) = tokio::sync::oneshot::channel::<()>();
    let load = tokio::spawn(through(cache, "k", vec![], move || async move {
        let _ = loading_tx.send(());
        let _ = resume_rx.await;
        5
    }));
    loading_rx.await.expect("the loader started");
    // Another caller takes the lock over (as after a lapsed lease).
    assert_eq!(server.cli(&["SET", &lock, "intruder", "PX", "10000"]), "OK");
    let t = Instant::now();
    while cache.stats().lock_timeouts == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "the loss went unnoticed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    resume_tx.send(()).unwrap();
    assert_eq!(load.await.unwrap(), 5);
    // Its release did not touch the other owner's lock.
    assert_eq!(server.cli(&["GET", &lock]), "intruder");
}

/// The cache of the crashed-owner test, in both processes.
fn crash_cache(port: u16) -> &'static RedisCache<u64> {
    let backend = RedisBackend::connect(
        RedisConfig::url(format!("redis://127.0.0.1:{port}")).key_prefix("f-crash"),
    )
    .unwrap();
    Box::leak(Box::new(
        RedisCache::with_backend(
            CacheConfig::new("crash").ttl(Duration::from_secs(60)),
            backend,
        )
        .lock_timeout(Duration::from_secs(30)),
    ))
}

/// The second process of `a_crashed_owner_blocks_others_for_one_lease_at_most` (selected
/// by `MT_CHILD`; otherwise it returns at once): takes the load lock, says so, and hangs
/// in its loader until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child_holds_the_lock_until_killed() {
    if std::env::var("MT_CHILD").as_deref() != Ok("crash_child_holds_the_lock_until_killed") {
        return;
    }
    let port: u16 = std::env::var("MT_CHILD_PORT").unwrap().parse().unwrap();
    through(crash_cache(port), "k", vec![], move || async move {
        cli(port, &["RPUSH", "crash:locked", "1"]);
        std::future::pending::<u64>().await
    })
    .await;
}

/// Another process takes the load lock and dies (SIGKILL) in its loader: the next
/// caller takes over once the lock's lease lapses (at most 3 s), not after
/// `lock_timeout` (30 s here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_owner_blocks_others_for_one_lease_at_most() {
    let server = RedisServer::start();
    let child_test = "crash_child_holds_the_lock_until_killed";
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", child_test, "--nocapture", "--test-threads", "1"])
        .env("MT_CHILD", child_test)
        .env("MT_CHILD_PORT", server.port().to_string())
        .spawn()
        .expect("spawn the child test process");
    let port = server.port();
    let locked = tokio::task::spawn_blocking(move || cli(port, &["BLPOP", "crash:locked", "20"]))
        .await
        .unwrap();
    assert!(!locked.is_empty(), "the child never took the lock");
    child.kill().unwrap();
    child.wait().unwrap();
    let cache = crash_cache(server.port());
    let started = Instant::now();
    let got = tokio::time::timeout(
        Duration::from_secs(10),
        through(cache, "k", vec![], || async { 7 }),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(
        got,
        Ok(7),
        "still waiting for the dead owner after {took:?}"
    );
    assert!(
        took < MAX_LEASE + Duration::from_millis(500),
        "the next caller waited {took:?}"
    );
    println!("next caller after the owner crashed: {took:?}");
}
