//! The span and log record processors: a bounded queue in front of one export thread
//! per signal. Items that find the queue full, and items of a batch the exporter
//! rejected, are dropped and counted; the count is reported as one warning per interval
//! (with the last export error), and a request never waits for export. The export
//! thread sleeps until its timer, a full batch's worth of queued items, or a flush: an
//! item is queued without waking it (a wake per item is a system call on the request's
//! thread, and a context switch).
//!
//! Written here instead of using `opentelemetry_sdk`'s `BatchSpanProcessor` and
//! `BatchLogProcessor`: those keep their drop counts private and report them only
//! through the SDK's own internal log at shutdown, while memotrace promises readable
//! counts (`LogGuard::dropped_spans`, `LogGuard::dropped_records`) and a warning in the
//! application's log within one interval of the first drop.

mod records;
mod spans;

pub(crate) use records::Records;
pub(crate) use spans::Spans;

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

/// Items per export request (at most the queue's capacity: the batch being built is the
/// second half of the memory bound).
const MAX_BATCH: usize = 512;
/// How long an item may wait in the queue before its batch is sent.
const SCHEDULED_DELAY: Duration = Duration::from_secs(1);
/// Drops are reported at most once per this interval.
const WARN_INTERVAL: Duration = Duration::from_secs(10);
/// Set in the pending count by the export thread as it exits, once its queue is gone:
/// what was pending then is counted as dropped by the thread, and a refused push counts
/// its item itself unless it was among those (see `Bounded::refused`).
const CLOSED: usize = 1 << (usize::BITS - 1);

/// One signal's items and exporter, as its processor and export thread handle them.
pub(crate) trait Signal: Send + 'static {
    /// What a caller queues (boxed, so that the queue's slots stay small).
    type Queued: Send + 'static;
    /// What a batch holds.
    type Batched: Send;
    /// The export thread's name.
    const THREAD: &'static str;

    /// Adds a queued item to the batch being built.
    fn add(queued: Self::Queued, batch: &mut Vec<Self::Batched>);

    /// Sends a batch and waits for the answer (the exporter's timeout bounds the wait).
    fn export(&mut self, batch: Vec<Self::Batched>) -> OTelSdkResult;

    /// Shuts the exporter down.
    fn shutdown(&mut self) -> OTelSdkResult;

    /// The warning that items were dropped: `dropped` in all, `new` since the last
    /// warning, and the last export error since then.
    fn warn(dropped: u64, new: u64, error: Option<String>);
}

enum Message<T> {
    Item(T),
    Flush(SyncSender<OTelSdkResult>),
    Shutdown(SyncSender<OTelSdkResult>),
}

/// What the export thread found when it took everything queued.
enum Drained {
    /// The queue is empty.
    Empty,
    /// A shutdown, to answer (the items queued before it are in the batch).
    Shutdown(SyncSender<OTelSdkResult>),
    /// The processor is gone.
    Gone,
}

/// What an export thread has done, readable from any thread.
#[derive(Default)]
pub(crate) struct ExportStats {
    dropped: AtomicU64,
    exported: AtomicU64,
}

impl ExportStats {
    /// Items lost: queue full, or their batch failed to export.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Items the receiver accepted.
    pub(crate) fn exported(&self) -> u64 {
        self.exported.load(Ordering::Relaxed)
    }
}

/// A batch processor with a bounded queue and drop accounting: the tracer's span
/// processor over [`Spans`], the logger's record processor over [`Records`].
pub(crate) struct Bounded<S: Signal> {
    queue: SyncSender<Message<S::Queued>>,
    /// Items sent or being sent and not yet taken by the export thread (never below
    /// the queue's length: counted before the send).
    pending: Arc<AtomicUsize>,
    /// The pending count at which the export thread is woken: a batch's worth.
    wake_at: usize,
    /// The export thread, to wake.
    waker: Thread,
    stats: Arc<ExportStats>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl<S: Signal> fmt::Debug for Bounded<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bounded")
            .field("thread", &S::THREAD)
            .field("dropped", &self.stats.dropped())
            .finish_non_exhaustive()
    }
}

impl<S: Signal> Bounded<S> {
    /// Starts the export thread: at most `capacity` items wait in the queue, and as many
    /// in the batch being sent.
    pub(crate) fn start(
        signal: S,
        capacity: usize,
        stats: Arc<ExportStats>,
    ) -> std::io::Result<Self> {
        let (queue, rx) = mpsc::sync_channel(capacity.max(1));
        let max_batch = capacity.clamp(1, MAX_BATCH);
        let pending = Arc::new(AtomicUsize::new(0));
        let worker_stats = Arc::clone(&stats);
        let worker_pending = Arc::clone(&pending);
        let worker = std::thread::Builder::new()
            .name(S::THREAD.into())
            .spawn(move || Worker::new(signal, worker_stats, max_batch).run(rx, &worker_pending))?;
        Ok(Self {
            queue,
            pending,
            wake_at: max_batch,
            waker: worker.thread().clone(),
            stats,
            worker: Mutex::new(Some(worker)),
        })
    }

    /// Sends a control message and waits (at most `timeout`) for its answer.
    fn control(
        &self,
        make: fn(SyncSender<OTelSdkResult>) -> Message<S::Queued>,
        timeout: Duration,
    ) -> OTelSdkResult {
        let (tx, rx) = mpsc::sync_channel(1);
        // The export thread may be asleep with the queue full: woken first to make room,
        // then again for the message.
        self.waker.unpark();
        self.queue
            .send(make(tx))
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        self.waker.unpark();
        rx.recv_timeout(timeout)
            .map_err(|_| OTelSdkError::Timeout(timeout))?
    }
}

impl<S: Signal> Bounded<S> {
    /// Queues an item without waiting; counts it as dropped when the queue is full.
    fn push(&self, item: S::Queued) {
        let before = self.pending.fetch_add(1, Ordering::Relaxed);
        let pending = before + 1;
        match self.queue.try_send(Message::Item(item)) {
            // Exactly one sender sees the count reach a batch's worth each time it does.
            Ok(()) if pending == self.wake_at => self.waker.unpark(),
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => self.refused(before),
        }
    }

    /// Takes back a push the queue refused (`before`: the pending count it found) and
    /// counts its item as dropped, once: by the export thread instead if the thread
    /// closed while the item was pending.
    #[cold]
    fn refused(&self, before: usize) {
        let taken_back = self.pending.fetch_sub(1, Ordering::Relaxed);
        let closed_meanwhile = before & CLOSED == 0 && taken_back & CLOSED != 0;
        if !closed_meanwhile {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Sends everything queued and waits for the answer.
    fn flush(&self) -> OTelSdkResult {
        self.control(Message::Flush, Duration::from_secs(30))
    }

    /// Sends what is left, stops the export thread and shuts the exporter down.
    fn stop(&self, timeout: Duration) -> OTelSdkResult {
        let worker = self
            .worker
            .lock()
            .map_err(|_| OTelSdkError::AlreadyShutdown)?
            .take()
            .ok_or(OTelSdkError::AlreadyShutdown)?;
        let result = self.control(Message::Shutdown, timeout);
        if result.is_ok() {
            // The thread has answered and is returning.
            let _ = worker.join();
        }
        result
    }
}

/// The export thread's state.
struct Worker<S: Signal> {
    signal: S,
    stats: Arc<ExportStats>,
    batch: Vec<S::Batched>,
    max_batch: usize,
    /// When the batch is sent if it does not fill up first.
    deadline: Instant,
    reported: u64,
    last_warning: Option<Instant>,
    /// The last failed export's error since the last warning.
    last_error: Option<String>,
    /// The items of the batch being sent (counted dropped if the exporter panics).
    in_flight: u64,
}

impl<S: Signal> Worker<S> {
    fn new(signal: S, stats: Arc<ExportStats>, max_batch: usize) -> Self {
        Self {
            signal,
            stats,
            batch: Vec::with_capacity(max_batch),
            max_batch,
            deadline: Instant::now() + SCHEDULED_DELAY,
            reported: 0,
            last_warning: None,
            last_error: None,
            in_flight: 0,
        }
    }

    /// Serves the queue until shutdown or until the processor is gone; the queue is
    /// closed as this returns (see [`Closing`]). A panic in the exporter ends its batch,
    /// counted dropped, and not the thread (the panic hook reports the panic).
    fn run(mut self, rx: mpsc::Receiver<Message<S::Queued>>, pending: &AtomicUsize) {
        let stats = Arc::clone(&self.stats);
        let queue = Closing {
            rx: Some(rx),
            pending,
            stats: &stats,
        };
        let rx = queue.receiver();
        while std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.serve(rx, pending)))
            .is_err()
        {
            stats
                .dropped
                .fetch_add(std::mem::take(&mut self.in_flight), Ordering::Relaxed);
            self.last_error = Some("the exporter panicked".to_owned());
        }
    }

    /// Asleep until the timer or a wake (a batch's worth queued, a flush, shutdown),
    /// then takes everything queued; returns at shutdown or when the processor is gone.
    fn serve(&mut self, rx: &mpsc::Receiver<Message<S::Queued>>, pending: &AtomicUsize) {
        loop {
            std::thread::park_timeout(self.deadline.saturating_duration_since(Instant::now()));
            match self.drain(rx, pending) {
                Drained::Empty => {}
                Drained::Shutdown(reply) => {
                    let result = self.export();
                    self.report_drops(true);
                    // What arrived while that was sent (a racing caller's item, the last
                    // drop warning's own log record) is exported, not lost uncounted
                    // with the queue.
                    let _ = self.drain(rx, pending);
                    let _ = self.export();
                    let _ = self.signal.shutdown();
                    let _ = reply.send(result);
                    return;
                }
                Drained::Gone => {
                    let _ = self.export();
                    return;
                }
            }
            if Instant::now() >= self.deadline {
                self.send_batch();
            }
        }
    }

    /// Takes everything queued now: items into the batch (sent whenever it is full),
    /// flushes answered once what came before them is sent; stops at a shutdown.
    fn drain(&mut self, rx: &mpsc::Receiver<Message<S::Queued>>, pending: &AtomicUsize) -> Drained {
        loop {
            match rx.try_recv() {
                Ok(Message::Item(item)) => {
                    pending.fetch_sub(1, Ordering::Relaxed);
                    S::add(item, &mut self.batch);
                    if self.batch.len() >= self.max_batch {
                        // Under steady traffic the timer never comes: drops are reported
                        // here too.
                        self.send_batch();
                    }
                }
                Ok(Message::Flush(reply)) => {
                    let _ = reply.send(self.export());
                }
                Ok(Message::Shutdown(reply)) => return Drained::Shutdown(reply),
                Err(TryRecvError::Empty) => return Drained::Empty,
                Err(TryRecvError::Disconnected) => return Drained::Gone,
            }
        }
    }

    /// Sends the batch (a failure is counted in the stats), reports drops when a warning
    /// is due, and starts the next interval.
    fn send_batch(&mut self) {
        let _ = self.export();
        self.report_drops(false);
        self.deadline = Instant::now() + SCHEDULED_DELAY;
    }

    /// Sends the batch; a failure drops (and counts) its items. The exporter's own timeout
    /// bounds the wait. What is logged while it is sent (by the HTTP client, the exporter)
    /// becomes no log record: each export would otherwise queue records for the next.
    fn export(&mut self) -> OTelSdkResult {
        if self.batch.is_empty() {
            return Ok(());
        }
        let _quiet = Context::enter_telemetry_suppressed_scope();
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.max_batch));
        let n = batch.len() as u64;
        self.in_flight = n;
        let result = self.signal.export(batch);
        self.in_flight = 0;
        let counter = match &result {
            Ok(()) => &self.stats.exported,
            Err(e) => {
                self.last_error = Some(e.to_string());
                &self.stats.dropped
            }
        };
        counter.fetch_add(n, Ordering::Relaxed);
        result
    }

    /// One warning per interval while items are being dropped (and a last one at
    /// shutdown), with the last export error since the previous warning, if any.
    fn report_drops(&mut self, last: bool) {
        let dropped = self.stats.dropped();
        let due = last
            || self
                .last_warning
                .is_none_or(|at| at.elapsed() >= WARN_INTERVAL);
        if dropped > self.reported && due {
            S::warn(dropped, dropped - self.reported, self.last_error.take());
            self.reported = dropped;
            self.last_warning = Some(Instant::now());
        }
    }
}

/// The export thread's queue, closed when the thread ends: the queue is dropped, then
/// the pending count marked [`CLOSED`]; what was pending then (sent after the last
/// drain) is counted as dropped by the thread.
struct Closing<'a, T> {
    rx: Option<mpsc::Receiver<T>>,
    pending: &'a AtomicUsize,
    stats: &'a ExportStats,
}

impl<T> Closing<'_, T> {
    fn receiver(&self) -> &mpsc::Receiver<T> {
        self.rx
            .as_ref()
            .expect("the queue is taken only when closed")
    }
}

impl<T> Drop for Closing<'_, T> {
    fn drop(&mut self) {
        drop(self.rx.take());
        let lost = self.pending.fetch_or(CLOSED, Ordering::AcqRel) & !CLOSED;
        self.stats.dropped.fetch_add(lost as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::{Bounded, ExportStats, Signal};
    use opentelemetry_sdk::error::OTelSdkResult;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc::{self, Receiver, SyncSender};
    use std::sync::Arc;
    use std::time::Duration;

    /// Numbers, exported by counting them.
    #[derive(Default)]
    struct Numbers {
        /// Its shutdown tells the test it has begun and waits for the test's answer, so
        /// items can be sent after the last drain.
        handshake: Option<(SyncSender<()>, Receiver<()>)>,
        /// Its first export panics.
        panics: bool,
    }

    impl Signal for Numbers {
        type Queued = u32;
        type Batched = u32;
        const THREAD: &'static str = "memotrace-test-numbers";

        fn add(queued: u32, batch: &mut Vec<u32>) {
            batch.push(queued);
        }

        fn export(&mut self, _batch: Vec<u32>) -> OTelSdkResult {
            if std::mem::take(&mut self.panics) {
                panic!("an exporter panics");
            }
            Ok(())
        }

        fn shutdown(&mut self) -> OTelSdkResult {
            if let Some((begun, go_on)) = &self.handshake {
                let _ = begun.send(());
                let _ = go_on.recv_timeout(Duration::from_secs(10));
            }
            Ok(())
        }

        fn warn(_dropped: u64, _new: u64, _error: Option<String>) {}
    }

    fn start(numbers: Numbers, capacity: usize) -> (Bounded<Numbers>, Arc<ExportStats>) {
        let stats = Arc::new(ExportStats::default());
        let processor = Bounded::start(numbers, capacity, Arc::clone(&stats)).unwrap();
        (processor, stats)
    }

    #[test]
    fn items_sent_after_the_last_drain_are_counted_as_dropped() {
        let (begun, shutdown_begun) = mpsc::sync_channel(1);
        let (go_on, wait) = mpsc::sync_channel(1);
        let numbers = Numbers {
            handshake: Some((begun, wait)),
            ..Numbers::default()
        };
        let (processor, stats) = start(numbers, 64);
        (0..10).for_each(|i| processor.push(i));
        std::thread::scope(|s| {
            let stopping = s.spawn(|| processor.stop(Duration::from_secs(20)));
            shutdown_begun
                .recv_timeout(Duration::from_secs(10))
                .expect("the export thread reaches the exporter's shutdown");
            // The export thread has taken its last items: these wait in its queue.
            (10..15).for_each(|i| processor.push(i));
            go_on.send(()).unwrap();
            stopping.join().unwrap().expect("the processor stops");
        });
        // After the thread is gone, a push fails and counts itself.
        processor.push(15);
        assert_eq!(stats.exported(), 10);
        assert_eq!(
            stats.dropped(),
            6,
            "each of the 16 items exported or dropped"
        );
    }

    /// Pushes racing the export thread's end, on a queue so small that many find it
    /// full: a push failing just as the thread closes is counted by one side only.
    #[test]
    fn every_item_pushed_while_the_thread_stops_is_counted_once() {
        const PUSHERS: usize = 4;
        const PUSHES: u32 = 2_000;
        for round in 0..300 {
            let (processor, stats) = start(Numbers::default(), 2);
            let started = AtomicUsize::new(0);
            std::thread::scope(|s| {
                for _ in 0..PUSHERS {
                    s.spawn(|| {
                        started.fetch_add(1, Ordering::Relaxed);
                        (0..PUSHES).for_each(|i| processor.push(i));
                    });
                }
                while started.load(Ordering::Relaxed) < PUSHERS {
                    std::thread::yield_now();
                }
                processor.stop(Duration::from_secs(20)).unwrap();
            });
            assert_eq!(
                stats.exported() + stats.dropped(),
                PUSHERS as u64 * u64::from(PUSHES),
                "round {round}: exported {} + dropped {}",
                stats.exported(),
                stats.dropped()
            );
        }
    }

    #[test]
    fn a_panicking_exporter_drops_its_batch_and_the_thread_goes_on() {
        let numbers = Numbers {
            panics: true,
            ..Numbers::default()
        };
        let (processor, stats) = start(numbers, 64);
        (0..3).for_each(|i| processor.push(i));
        assert!(processor.flush().is_err(), "the panic fails the flush");
        (3..5).for_each(|i| processor.push(i));
        processor
            .stop(Duration::from_secs(20))
            .expect("the export thread still answers");
        assert_eq!((stats.exported(), stats.dropped()), (2, 3));
    }
}
