//! Where lines go: any `MakeWriter` directly, or a non-blocking writer whose worker
//! thread does the I/O, so a slow sink never blocks the caller.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;

/// Receives finished lines (each ends with `\n`).
pub trait LineSink: Send + Sync + 'static {
    /// Writes one line; must not panic.
    fn write_line(&self, line: &[u8]);
}

/// A [`LineSink`] over any `tracing_subscriber` [`MakeWriter`], writing in the caller's
/// thread.
pub struct MakeWriterSink<M>(pub M);

impl<M> LineSink for MakeWriterSink<M>
where
    M: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    fn write_line(&self, line: &[u8]) {
        let _ = self.0.make_writer().write_all(line);
    }
}

enum Msg {
    Line(Vec<u8>),
    Flush(SyncSender<()>),
}

/// A writer whose lines are handed to a worker thread through a bounded queue. When the
/// queue is full the line is dropped and counted (never blocking the caller); the worker
/// reports the count in the output and [`NonBlocking::dropped_lines`] tells it too.
///
/// ```
/// use memotrace::log::{LineSink, NonBlocking};
/// let (writer, guard) = NonBlocking::new(std::io::sink(), 1024);
/// writer.write_line(b"{\"event\":\"x\"}\n");
/// guard.flush();
/// assert_eq!(writer.dropped_lines(), 0);
/// ```
#[derive(Clone)]
pub struct NonBlocking {
    tx: SyncSender<Msg>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for NonBlocking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonBlocking")
            .field("dropped", &self.dropped_lines())
            .finish_non_exhaustive()
    }
}

impl NonBlocking {
    /// Starts the worker writing to `out`, with room for `capacity` lines in flight.
    pub fn new(out: impl Write + Send + 'static, capacity: usize) -> (Self, WriterGuard) {
        let (tx, rx) = mpsc::sync_channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let worker_dropped = Arc::clone(&dropped);
        let handle = std::thread::Builder::new()
            .name("memotrace-log-writer".into())
            .spawn(move || worker(rx, out, &worker_dropped))
            .ok();
        let guard = WriterGuard {
            tx: Some(tx.clone()),
            _handle: Mutex::new(handle),
            dropped: Arc::clone(&dropped),
        };
        (Self { tx, dropped }, guard)
    }

    /// Lines lost so far because the queue was full.
    pub fn dropped_lines(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl LineSink for NonBlocking {
    fn write_line(&self, line: &[u8]) {
        match self.tx.try_send(Msg::Line(line.to_vec())) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn worker(rx: Receiver<Msg>, out: impl Write, dropped: &AtomicU64) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    let mut reported = 0;
    let mut pending: Option<Msg> = None;
    loop {
        let msg = match pending.take() {
            Some(m) => m,
            None => match rx.recv() {
                Ok(m) => m,
                Err(_) => break,
            },
        };
        match msg {
            Msg::Line(line) => {
                let _ = out.write_all(&line);
            }
            Msg::Flush(ack) => {
                report_dropped(&mut out, dropped, &mut reported);
                let _ = out.flush();
                let _ = ack.send(());
                continue;
            }
        }
        // Drain what is queued, then flush once.
        match rx.try_recv() {
            Ok(m) => pending = Some(m),
            Err(_) => {
                report_dropped(&mut out, dropped, &mut reported);
                let _ = out.flush();
            }
        }
    }
    report_dropped(&mut out, dropped, &mut reported);
    let _ = out.flush();
}

fn report_dropped(out: &mut impl Write, dropped: &AtomicU64, reported: &mut u64) {
    let now = dropped.load(Ordering::Relaxed);
    if now > *reported {
        let mut ts = String::new();
        super::timestamp::write_rfc3339(&mut ts, std::time::SystemTime::now());
        let _ = writeln!(
            out,
            "{{\"timestamp\":\"{ts}\",\"level\":\"warning\",\"logger\":\"memotrace::log\",\"event\":\"log_lines_dropped\",\"dropped\":{},\"dropped_total\":{now}}}",
            now - *reported
        );
        *reported = now;
    }
}

/// Flushes the non-blocking writer when dropped (or on [`flush`](WriterGuard::flush)):
/// keep it alive until the end of `main`.
#[must_use = "dropping the guard stops the log writer; keep it until the end of main"]
pub struct WriterGuard {
    tx: Option<SyncSender<Msg>>,
    _handle: Mutex<Option<JoinHandle<()>>>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for WriterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterGuard").finish_non_exhaustive()
    }
}

impl WriterGuard {
    /// Waits (up to a second) until every line queued so far is written and flushed.
    pub fn flush(&self) {
        if let Some(tx) = &self.tx {
            let (ack_tx, ack_rx) = mpsc::sync_channel(1);
            if tx.send(Msg::Flush(ack_tx)).is_ok() {
                let _ = ack_rx.recv_timeout(Duration::from_secs(1));
            }
        }
    }

    /// Lines lost so far because the queue was full.
    pub fn dropped_lines(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        self.flush();
        self.tx = None;
    }
}
