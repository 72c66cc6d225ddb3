//! Concurrent misses of one key run the loader once; failures never strand waiters.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// Runs `n` tasks that start `call` at the same moment; their results in order.
async fn all_at_once<T, Fut>(n: usize, call: fn() -> Fut) -> Vec<T>
where
    T: Send + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                call().await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

static ASYNC_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
async fn slow_async(id: u64) -> u64 {
    ASYNC_LOADS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    id * 2
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tasks_run_the_loader_once() {
    let results = all_at_once(1_000, || slow_async(21)).await;
    assert!(results.iter().all(|v| *v == 42));
    assert_eq!(ASYNC_LOADS.load(SeqCst), 1);
    let stats = slow_async_cache().stats();
    assert_eq!(stats.loads, 1);
    assert_eq!(stats.hits + stats.misses, 1_000);
}

static SYNC_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
fn slow_sync(id: u64) -> u64 {
    SYNC_LOADS.fetch_add(1, SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    id * 2
}

#[test]
fn sixteen_threads_run_the_loader_once() {
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                slow_sync(5)
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 10);
    }
    assert_eq!(SYNC_LOADS.load(SeqCst), 1);
}

static PANIC_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
fn panics_first(id: u64) -> u64 {
    let n = PANIC_LOADS.fetch_add(1, SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    assert!(n > 0, "first load fails");
    id
}

#[test]
fn a_panicking_loader_wakes_the_waiters_and_one_of_them_loads() {
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                catch_unwind(AssertUnwindSafe(|| panics_first(9)))
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_err()).count(),
        1,
        "only the panicking caller sees the panic"
    );
    assert!(results.iter().flatten().all(|v| *v == 9));
    assert_eq!(
        PANIC_LOADS.load(SeqCst),
        2,
        "the panic, then one retry that everyone shares"
    );
    let stats = panics_first_cache().stats();
    assert_eq!((stats.loads, stats.load_errors), (2, 1));
}

static ERR_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
async fn fails_first(id: u64) -> Result<u64, String> {
    let n = ERR_LOADS.fetch_add(1, SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    if n == 0 {
        Err("first load fails".into())
    } else {
        Ok(id)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_err_is_returned_to_its_caller_and_waiters_retry() {
    let results = all_at_once(100, || fails_first(3)).await;
    let errors = results.iter().filter(|r| r.is_err()).count();
    assert!(results.iter().flatten().all(|v| *v == 3));
    assert_eq!(errors, 1);
    assert_eq!(ERR_LOADS.load(SeqCst), 2);
}

static CANCELLED_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
async fn hangs_first(id: u64) -> u64 {
    if CANCELLED_LOADS.fetch_add(1, SeqCst) == 0 {
        std::future::pending::<()>().await;
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_loader_hands_the_load_to_a_waiter() {
    let leader = tokio::spawn(hangs_first(4));
    while CANCELLED_LOADS.load(SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let waiters: Vec<_> = (0..10).map(|_| tokio::spawn(hangs_first(4))).collect();
    leader.abort();
    for w in waiters {
        let value = tokio::time::timeout(Duration::from_secs(5), w)
            .await
            .expect("waiter not stranded")
            .unwrap();
        assert_eq!(value, 4);
    }
    assert_eq!(CANCELLED_LOADS.load(SeqCst), 2);
}

static RACE_LOADS: AtomicUsize = AtomicUsize::new(0);
static RACE_GATE: std::sync::Mutex<Option<std::sync::mpsc::Receiver<()>>> =
    std::sync::Mutex::new(None);

#[memotrace::cached]
fn read_then_wait(id: u64) -> usize {
    let n = RACE_LOADS.fetch_add(1, SeqCst);
    if n == 0 {
        // The first load read the old data; it finishes after the invalidation.
        let gate = RACE_GATE.lock().unwrap().take().unwrap();
        gate.recv().unwrap();
    }
    usize::try_from(id).unwrap() + n
}

#[test]
fn an_invalidation_during_a_load_keeps_the_loaded_value_out_of_the_cache() {
    let (open, gate) = std::sync::mpsc::channel();
    *RACE_GATE.lock().unwrap() = Some(gate);
    let first = std::thread::spawn(|| read_then_wait(10));
    while RACE_LOADS.load(SeqCst) == 0 {
        std::thread::yield_now();
    }
    // "UPDATE ...; then invalidate": the entry is not there yet, the load is in flight.
    assert!(!read_then_wait_invalidate(10));
    open.send(()).unwrap();
    assert_eq!(
        first.join().unwrap(),
        10,
        "the caller still gets what its load returned"
    );
    assert_eq!(
        read_then_wait(10),
        11,
        "but it was not stored: the next call loads again"
    );
    assert_eq!(read_then_wait(10), 11);
    assert_eq!(RACE_LOADS.load(SeqCst), 2);
}
