//! The span processor: a bounded queue in front of one export thread. Spans that find the
//! queue full, and spans of a batch the exporter rejected, are dropped and counted; the
//! count is reported as one warning per interval (with the last export error), and a
//! request never waits for export. The export thread sleeps until its timer, a full
//! batch's worth of queued spans, or a flush: a span is queued without waking it (a
//! wake per span is a system call on the request's thread, and a context switch).
//!
//! Written here instead of using `opentelemetry_sdk`'s `BatchSpanProcessor`: that one
//! keeps its drop count private and reports it only through the SDK's own internal log
//! at shutdown, while memotrace promises a readable count (`LogGuard::dropped_spans`) and
//! a warning in the application's log within one interval of the first drop.

use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

/// Spans per export request (at most the queue's capacity: the batch being built is the
/// second half of the memory bound).
const MAX_BATCH: usize = 512;
/// How long a span may wait in the queue before its batch is sent.
const SCHEDULED_DELAY: Duration = Duration::from_secs(1);
/// Drops are reported at most once per this interval.
const WARN_INTERVAL: Duration = Duration::from_secs(10);

enum Message {
    Span(Box<SpanData>),
    Flush(SyncSender<OTelSdkResult>),
    Shutdown(SyncSender<OTelSdkResult>),
}

/// What the export thread has done, readable from any thread.
#[derive(Default)]
pub(crate) struct ExportStats {
    dropped: AtomicU64,
    exported: AtomicU64,
}

impl ExportStats {
    /// Spans lost: queue full, or their batch failed to export.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Spans the receiver accepted.
    pub(crate) fn exported(&self) -> u64 {
        self.exported.load(Ordering::Relaxed)
    }
}

/// A batch span processor with a bounded queue and drop accounting.
pub(crate) struct BoundedSpanProcessor {
    queue: SyncSender<Message>,
    /// Spans sent or being sent and not yet taken by the export thread (never below
    /// the queue's length: counted before the send).
    pending: Arc<AtomicUsize>,
    /// The pending count at which the export thread is woken: a batch's worth.
    wake_at: usize,
    /// The export thread, to wake.
    waker: Thread,
    stats: Arc<ExportStats>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for BoundedSpanProcessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSpanProcessor")
            .field("dropped", &self.stats.dropped())
            .finish_non_exhaustive()
    }
}

impl BoundedSpanProcessor {
    /// Starts the export thread: at most `capacity` spans wait in the queue, and as many
    /// in the batch being sent.
    pub(crate) fn start<E: SpanExporter + 'static>(
        exporter: E,
        capacity: usize,
        stats: Arc<ExportStats>,
    ) -> std::io::Result<Self> {
        let (queue, rx) = mpsc::sync_channel(capacity.max(1));
        let max_batch = capacity.clamp(1, MAX_BATCH);
        let pending = Arc::new(AtomicUsize::new(0));
        let worker_stats = Arc::clone(&stats);
        let worker_pending = Arc::clone(&pending);
        let worker = std::thread::Builder::new()
            .name("memotrace-otlp-spans".into())
            .spawn(move || {
                Worker::new(exporter, worker_stats, max_batch).run(&rx, &worker_pending)
            })?;
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
        make: fn(SyncSender<OTelSdkResult>) -> Message,
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

impl SpanProcessor for BoundedSpanProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        let pending = self.pending.fetch_add(1, Ordering::Relaxed) + 1;
        match self.queue.try_send(Message::Span(Box::new(span))) {
            // Exactly one sender sees the count reach a batch's worth each time it does.
            Ok(()) if pending == self.wake_at => self.waker.unpark(),
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.pending.fetch_sub(1, Ordering::Relaxed);
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.control(Message::Flush, Duration::from_secs(30))
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
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
struct Worker<E> {
    exporter: E,
    stats: Arc<ExportStats>,
    batch: Vec<SpanData>,
    max_batch: usize,
    reported: u64,
    last_warning: Option<Instant>,
    /// The last failed export's error since the last warning.
    last_error: Option<String>,
}

impl<E: SpanExporter> Worker<E> {
    fn new(exporter: E, stats: Arc<ExportStats>, max_batch: usize) -> Self {
        Self {
            exporter,
            stats,
            batch: Vec::with_capacity(max_batch),
            max_batch,
            reported: 0,
            last_warning: None,
            last_error: None,
        }
    }

    /// Runs until shutdown or until the processor is gone: asleep until the timer or a
    /// wake (a batch's worth queued, a flush, shutdown), then takes everything queued.
    fn run(mut self, rx: &mpsc::Receiver<Message>, pending: &AtomicUsize) {
        let mut deadline = Instant::now() + SCHEDULED_DELAY;
        loop {
            std::thread::park_timeout(deadline.saturating_duration_since(Instant::now()));
            loop {
                match rx.try_recv() {
                    Ok(Message::Span(mut span)) => {
                        pending.fetch_sub(1, Ordering::Relaxed);
                        last_values_win(&mut span.attributes);
                        self.batch.push(*span);
                        if self.batch.len() >= self.max_batch {
                            // A failure is counted in the stats and reported by the timer.
                            let _ = self.export();
                            deadline = Instant::now() + SCHEDULED_DELAY;
                        }
                    }
                    Ok(Message::Flush(reply)) => {
                        let _ = reply.send(self.export());
                    }
                    Ok(Message::Shutdown(reply)) => {
                        let result = self.export();
                        self.report_drops(true);
                        let _ = self.exporter.shutdown();
                        let _ = reply.send(result);
                        return;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        let _ = self.export();
                        return;
                    }
                }
            }
            if Instant::now() >= deadline {
                let _ = self.export();
                self.report_drops(false);
                deadline = Instant::now() + SCHEDULED_DELAY;
            }
        }
    }

    /// Sends the batch; a failure drops (and counts) its spans. The exporter's own timeout
    /// bounds the wait.
    fn export(&mut self) -> OTelSdkResult {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.max_batch));
        let n = batch.len() as u64;
        let result = futures_executor::block_on(self.exporter.export(batch));
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

    /// One warning per interval while spans are being dropped (and a last one at shutdown),
    /// with the last export error since the previous warning, if any.
    fn report_drops(&mut self, last: bool) {
        let dropped = self.stats.dropped();
        let due = last
            || self
                .last_warning
                .is_none_or(|at| at.elapsed() >= WARN_INTERVAL);
        if dropped > self.reported && due {
            tracing::warn!(
                target: "memotrace::otel",
                dropped_spans = dropped,
                new = dropped - self.reported,
                error = self.last_error.take(),
                "otel_spans_dropped"
            );
            self.reported = dropped;
            self.last_warning = Some(Instant::now());
        }
    }
}

/// Keeps one attribute per key, the last one set. tracing-opentelemetry and the SDK
/// append every recorded value, while OpenTelemetry defines setting an attribute again
/// as replacing it: a tiered lookup records its L1 miss, then its L2 answer.
fn last_values_win(attributes: &mut Vec<KeyValue>) {
    let mut i = 0;
    while i < attributes.len() {
        if attributes[i + 1..]
            .iter()
            .any(|later| later.key == attributes[i].key)
        {
            attributes.remove(i);
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::last_values_win;
    use opentelemetry::KeyValue;

    #[test]
    fn the_last_value_of_a_key_wins_and_the_order_is_kept() {
        let mut attributes = vec![
            KeyValue::new("cache.hit", false),
            KeyValue::new("success", true),
            KeyValue::new("cache.name", "a"),
            KeyValue::new("cache.hit", true),
            KeyValue::new("cache.name", "a"),
        ];
        last_values_win(&mut attributes);
        assert_eq!(
            attributes,
            [
                KeyValue::new("success", true),
                KeyValue::new("cache.hit", true),
                KeyValue::new("cache.name", "a"),
            ]
        );
    }
}
