//! Time policies of `#[cached]`: ttl, tti, refresh-ahead, stale-if-error, and the sweep
//! of expired entries. Sleeps here are the passing of time under test, not
//! synchronisation; background work is awaited through its own signals.

use memotrace_tests::wait_until;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Mutex, OnceLock};
use std::thread::sleep;
use std::time::Duration;

static TTL_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(ttl = "100ms")]
fn short_lived(x: u32) -> usize {
    x as usize + TTL_CALLS.fetch_add(1, SeqCst)
}

#[test]
fn ttl_expires_entries() {
    let first = short_lived(1);
    assert_eq!(short_lived(1), first);
    assert_eq!(TTL_CALLS.load(SeqCst), 1);
    sleep(Duration::from_millis(150));
    assert_ne!(short_lived(1), first, "expired entry reloaded");
    assert_eq!(TTL_CALLS.load(SeqCst), 2);
    let stats = short_lived_cache().stats();
    assert_eq!((stats.hits, stats.misses, stats.loads), (1, 2, 2));
}

static TTI_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(tti = "300ms")]
fn idle_expiring(x: u32) -> u32 {
    TTI_CALLS.fetch_add(1, SeqCst);
    x
}

#[test]
fn tti_keeps_entries_that_are_read_and_drops_idle_ones() {
    idle_expiring(1);
    for _ in 0..4 {
        sleep(Duration::from_millis(100));
        idle_expiring(1);
    }
    assert_eq!(
        TTI_CALLS.load(SeqCst),
        1,
        "read every 100 ms: never idle for 300 ms"
    );
    sleep(Duration::from_millis(450));
    idle_expiring(1);
    assert_eq!(TTI_CALLS.load(SeqCst), 2, "idle for 450 ms: expired");
}

/// The loader of the refresh tests: the first load answers at once, later ones wait for
/// the test to open the gate.
struct Gate {
    calls: AtomicUsize,
    open: Mutex<Receiver<()>>,
    opener: Mutex<Sender<()>>,
}

impl Gate {
    fn new() -> Self {
        let (opener, open) = channel();
        Self {
            calls: AtomicUsize::new(0),
            open: Mutex::new(open),
            opener: Mutex::new(opener),
        }
    }

    fn load(&self) -> usize {
        let n = self.calls.fetch_add(1, SeqCst);
        if n > 0 {
            self.open.lock().unwrap().recv().unwrap();
        }
        n + 1
    }

    fn open(&self) {
        self.opener.lock().unwrap().send(()).unwrap();
    }
}

fn sync_gate() -> &'static Gate {
    static GATE: OnceLock<Gate> = OnceLock::new();
    GATE.get_or_init(Gate::new)
}

#[memotrace::cached(ttl = "2s", refresh_ahead = 0.1)]
fn refreshed(key: &str) -> String {
    format!("{key}-v{}", sync_gate().load())
}

#[test]
fn refresh_ahead_serves_the_current_value_until_the_refresh_lands() {
    assert_eq!(refreshed("k"), "k-v1");
    sleep(Duration::from_millis(250)); // past 10 % of the 2 s ttl
    assert_eq!(
        refreshed("k"),
        "k-v1",
        "the hit that starts the refresh gets the current value"
    );
    assert_eq!(
        refreshed("k"),
        "k-v1",
        "hits during the refresh get the current value"
    );
    assert_eq!(refreshed("k"), "k-v1");
    sync_gate().open();
    wait_until(Duration::from_secs(5), "the refreshed value", || {
        refreshed_cache().get("k").as_deref() == Some("k-v2")
    });
    assert_eq!(refreshed("k"), "k-v2");
    assert_eq!(sync_gate().calls.load(SeqCst), 2, "exactly one extra load");
    let stats = refreshed_cache().stats();
    assert_eq!((stats.loads, stats.refreshes, stats.misses), (2, 1, 1));
}

fn async_gate() -> &'static Gate {
    static GATE: OnceLock<Gate> = OnceLock::new();
    GATE.get_or_init(Gate::new)
}

#[memotrace::cached(ttl = "2s", refresh_ahead = 0.1)]
async fn refreshed_async(id: u64) -> u64 {
    let gate = async_gate();
    let version = tokio::task::spawn_blocking(move || gate.load())
        .await
        .unwrap();
    id * 100 + version as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ahead_runs_as_a_task_for_async_fns() {
    assert_eq!(refreshed_async(1).await, 101);
    tokio::time::sleep(Duration::from_millis(250)).await;
    for _ in 0..3 {
        assert_eq!(refreshed_async(1).await, 101);
    }
    async_gate().open();
    let refreshed = tokio::task::spawn_blocking(|| {
        wait_until(Duration::from_secs(5), "the refreshed value", || {
            refreshed_async_cache().get(&1) == Some(102)
        });
    });
    refreshed.await.unwrap();
    assert_eq!(refreshed_async(1).await, 102);
    assert_eq!(async_gate().calls.load(SeqCst), 2);
}

static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(ttl = "100ms", stale_if_error = "1h")]
fn flaky(id: u32) -> Result<String, String> {
    match FLAKY_CALLS.fetch_add(1, SeqCst) {
        0 => Ok(format!("fresh {id}")),
        _ => Err("backend down".to_owned()),
    }
}

static STRICT_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(ttl = "100ms")]
fn strict(id: u32) -> Result<String, String> {
    match STRICT_CALLS.fetch_add(1, SeqCst) {
        0 => Ok(format!("fresh {id}")),
        _ => Err("backend down".to_owned()),
    }
}

#[test]
fn stale_if_error_serves_the_expired_value_when_the_loader_fails() {
    assert_eq!(flaky(1).unwrap(), "fresh 1");
    assert_eq!(strict(1).unwrap(), "fresh 1");
    sleep(Duration::from_millis(150));
    assert_eq!(
        flaky(1).unwrap(),
        "fresh 1",
        "expired, loader failed: stale value served"
    );
    // Past the default fail-safe throttle (a tenth of the ttl), the loader is tried again.
    sleep(Duration::from_millis(30));
    assert_eq!(
        flaky(1).unwrap(),
        "fresh 1",
        "still served on the next failure"
    );
    assert_eq!(
        strict(1).unwrap_err(),
        "backend down",
        "without stale_if_error the error shows"
    );
    let stats = flaky_cache().stats();
    assert_eq!(
        (stats.stale_served, stats.load_errors, stats.loads),
        (2, 2, 3)
    );
    assert_eq!(
        flaky(2).unwrap_err(),
        "backend down",
        "nothing stale to serve for a new key"
    );
}

#[memotrace::cached(ttl = "50ms")]
fn swept(x: u32) -> u32 {
    x
}

#[test]
fn expired_entries_are_swept_and_do_not_hold_capacity() {
    for i in 0..100 {
        swept(i);
    }
    assert_eq!(swept_cache().stats().entries, 100);
    sleep(Duration::from_millis(1_100)); // past the ttl and the 1 s sweep interval
    swept(1_000);
    assert_eq!(
        swept_cache().stats().entries,
        1,
        "the 100 expired entries were swept"
    );
}

static PANICKY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(ttl = "100ms", stale_if_error = "1h")]
fn panicky(id: u32) -> Result<String, String> {
    match PANICKY_CALLS.fetch_add(1, SeqCst) {
        0 => Ok(format!("fresh {id}")),
        1 => panic!("the driver panicked"),
        _ => Err("backend down".to_owned()),
    }
}

#[test]
fn a_panicking_load_keeps_the_stale_value_for_later_failures() {
    assert_eq!(panicky(1).unwrap(), "fresh 1");
    sleep(Duration::from_millis(150));
    assert!(std::panic::catch_unwind(|| panicky(1)).is_err());
    assert_eq!(
        panicky(1).unwrap(),
        "fresh 1",
        "the expired value survived the panic"
    );
    assert_eq!(panicky_cache().stats().stale_served, 1);
}
