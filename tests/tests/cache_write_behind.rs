//! `WriteBehind`: batches, the flush interval, retries of failed batches in order, a
//! bounded queue, and a shutdown that loses nothing.

use memotrace::cache::{Rejected, WriteBehind, WriteBehindConfig};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

fn config(batch_size: usize, flush_interval: Duration) -> WriteBehindConfig {
    WriteBehindConfig {
        batch_size,
        flush_interval,
        capacity: 100,
        shutdown_attempts: 2,
    }
}

/// A sink that reports each batch it accepts, and fails its first `failures` calls.
#[allow(clippy::type_complexity)]
fn sink(
    failures: usize,
) -> (
    impl FnMut(Vec<u32>) -> std::future::Ready<Result<(), String>> + Send + 'static,
    mpsc::UnboundedReceiver<Vec<u32>>,
    Arc<AtomicUsize>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let flush = move |batch: Vec<u32>| {
        let n = counted.fetch_add(1, SeqCst);
        std::future::ready(if n < failures {
            Err(format!("database unavailable (call {n})"))
        } else {
            tx.send(batch).unwrap();
            Ok(())
        })
    };
    (flush, rx, calls)
}

#[tokio::test]
async fn a_full_batch_is_flushed_at_once() {
    let (flush, mut batches, _) = sink(0);
    let writes = WriteBehind::start(config(3, Duration::from_secs(3600)), flush);
    for i in 1..=3 {
        writes.push(i).await.unwrap();
    }
    assert_eq!(batches.recv().await.unwrap(), vec![1, 2, 3]);
    assert_eq!(writes.stats().flushed, 3);
}

#[tokio::test(start_paused = true)]
async fn pending_items_are_flushed_when_the_interval_passes() {
    let (flush, mut batches, _) = sink(0);
    let writes = WriteBehind::start(config(100, Duration::from_millis(50)), flush);
    writes.push(1).await.unwrap();
    writes.push(2).await.unwrap();
    tokio::time::advance(Duration::from_millis(60)).await;
    assert_eq!(batches.recv().await.unwrap(), vec![1, 2]);
}

#[tokio::test]
async fn a_failed_batch_is_requeued_in_order_and_written_once() {
    let (flush, mut batches, calls) = sink(1);
    let writes = WriteBehind::start(config(100, Duration::from_secs(3600)), flush);
    for i in 1..=3 {
        writes.push(i).await.unwrap();
    }
    writes.flush().await;
    assert_eq!(writes.stats().failed_flushes, 1);
    assert!(batches.try_recv().is_err(), "nothing written yet");
    writes.push(4).await.unwrap();
    writes.flush().await;
    assert_eq!(batches.recv().await.unwrap(), vec![1, 2, 3, 4]);
    assert_eq!(calls.load(SeqCst), 2);
    assert_eq!(writes.stats().flushed, 4);
}

#[tokio::test]
async fn shutdown_flushes_what_is_left() {
    let (flush, mut batches, _) = sink(0);
    let writes = WriteBehind::start(config(100, Duration::from_secs(3600)), flush);
    for i in 1..=5 {
        writes.push(i).await.unwrap();
    }
    writes.shutdown().await.unwrap();
    assert_eq!(batches.recv().await.unwrap(), vec![1, 2, 3, 4, 5]);
}

#[tokio::test(start_paused = true)]
async fn shutdown_hands_back_what_could_not_be_written() {
    let (flush, _batches, calls) = sink(usize::MAX);
    let writes = WriteBehind::start(config(2, Duration::from_secs(3600)), flush);
    for i in 1..=3 {
        writes.push(i).await.unwrap();
    }
    let unflushed = writes.shutdown().await.unwrap_err();
    assert_eq!(unflushed.items, vec![1, 2, 3], "every item, in order");
    assert!(unflushed.error.contains("database unavailable"));
    assert!(calls.load(SeqCst) >= 2, "retried before giving up");
}

#[tokio::test]
async fn a_full_queue_hands_the_item_back() {
    let gate = Arc::new(tokio::sync::Notify::new());
    let entered = Arc::new(tokio::sync::Notify::new());
    let (g, e) = (gate.clone(), entered.clone());
    let cfg = WriteBehindConfig {
        capacity: 1,
        batch_size: 1,
        flush_interval: Duration::from_secs(3600),
        shutdown_attempts: 1,
    };
    let writes = WriteBehind::start(cfg, move |_batch: Vec<u32>| {
        let (g, e) = (g.clone(), e.clone());
        async move {
            e.notify_one();
            g.notified().await; // a database that hangs
            Ok::<(), String>(())
        }
    });
    writes.push(1).await.unwrap();
    entered.notified().await; // the worker is stuck writing item 1
    writes.try_push(2).expect("one item fits in the queue");
    assert_eq!(writes.try_push(3), Err(Rejected::Full(3)));
    gate.notify_one();
    gate.notify_one();
    let stats = writes.stats();
    assert_eq!(stats.queued, 2, "the refused item was not counted");
    writes.shutdown().await.unwrap();
}

#[tokio::test]
async fn dropping_the_handle_flushes_what_is_pending() {
    let (flush, mut batches, _) = sink(0);
    let writes = WriteBehind::start(config(100, Duration::from_secs(3600)), flush);
    for i in 1..=3 {
        writes.push(i).await.unwrap();
    }
    drop(writes);
    assert_eq!(
        batches.recv().await.unwrap(),
        vec![1, 2, 3],
        "a last flush on drop"
    );
    assert!(batches.recv().await.is_none(), "then the worker stops");
}

#[tokio::test]
async fn a_panicking_writer_is_a_failed_flush_and_the_batch_stays_queued() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (tx, mut batches) = mpsc::unbounded_channel();
    let counted = calls.clone();
    let writes = WriteBehind::start(
        config(100, Duration::from_secs(3600)),
        move |batch: Vec<u32>| {
            let first = counted.fetch_add(1, SeqCst) == 0;
            let tx = tx.clone();
            async move {
                assert!(!first, "the database driver panicked");
                tx.send(batch).unwrap();
                Ok::<(), String>(())
            }
        },
    );
    writes.push(1).await.unwrap();
    writes.push(2).await.unwrap();
    writes.flush().await;
    assert_eq!(writes.stats().failed_flushes, 1);
    writes.flush().await;
    assert_eq!(
        batches.recv().await.unwrap(),
        vec![1, 2],
        "nothing lost to the panic"
    );
    writes.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_zero_interval_and_capacity_are_clamped_not_fatal() {
    let (flush, mut batches, _) = sink(0);
    let cfg = WriteBehindConfig {
        capacity: 0,
        batch_size: 0,
        flush_interval: Duration::ZERO,
        shutdown_attempts: 1,
    };
    let writes = WriteBehind::start(cfg, flush);
    writes.push(7).await.unwrap();
    assert_eq!(batches.recv().await.unwrap(), vec![7]);
    writes.shutdown().await.unwrap();
}

#[test]
fn a_buffer_whose_runtime_stopped_hands_items_back() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (flush, _batches, _) = sink(0);
    let writes = runtime
        .block_on(async { WriteBehind::start(config(100, Duration::from_secs(3600)), flush) });
    drop(runtime);
    assert_eq!(writes.try_push(1), Err(Rejected::Closed(1)));
    let other = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(other.block_on(writes.push(2)), Err(Rejected::Closed(2)));
    assert!(
        other.block_on(writes.shutdown()).is_err(),
        "shutdown says the task had stopped"
    );
}
