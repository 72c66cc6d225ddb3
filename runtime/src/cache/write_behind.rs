//! Write-behind: writes are acknowledged at once and reach the slow store (a database) in
//! batches, from a background task, without losing a write silently.
//!
//! The queue is bounded (a full queue makes [`WriteBehind::push`] wait, or
//! [`WriteBehind::try_push`] hand the item back); a batch is flushed when it is full or
//! when the flush interval passes; a failed batch goes back to the front of the queue, in
//! order, and is retried on the next tick; [`WriteBehind::shutdown`] flushes what is left
//! and hands back whatever still could not be written, so nothing is lost silently.

use std::collections::VecDeque;
use std::fmt::Display;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Settings of a [`WriteBehind`] buffer.
#[derive(Clone, Debug)]
pub struct WriteBehindConfig {
    /// Items held before `push` waits (written or not; failed batches count too).
    pub capacity: usize,
    /// Items written per flush call.
    pub batch_size: usize,
    /// How often pending items are flushed even if no batch is full.
    pub flush_interval: Duration,
    /// Attempts per batch during shutdown before the items are handed back.
    pub shutdown_attempts: u32,
}

impl Default for WriteBehindConfig {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            batch_size: 100,
            flush_interval: Duration::from_secs(1),
            shutdown_attempts: 3,
        }
    }
}

/// Counters of a [`WriteBehind`] buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteBehindStats {
    /// Items accepted by `push`.
    pub queued: u64,
    /// Items written by a successful flush.
    pub flushed: u64,
    /// Flush calls that failed (their items were re-queued).
    pub failed_flushes: u64,
}

/// What [`WriteBehind::shutdown`] could not write.
#[derive(Debug)]
pub struct Unflushed<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// The last flush error.
    pub error: String,
}

/// Why an item was handed back instead of queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected<T> {
    /// The queue is full (`try_push` only; `push` waits).
    Full(T),
    /// The buffer was shut down (or its runtime stopped): nothing will write the item.
    Closed(T),
}

enum Command<T> {
    Flush(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<Result<(), Unflushed<T>>>),
}

#[derive(Default)]
struct Counters {
    queued: AtomicU64,
    flushed: AtomicU64,
    failed_flushes: AtomicU64,
}

/// A bounded write-behind buffer in front of a batch writer.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use memotrace::cache::{WriteBehind, WriteBehindConfig};
/// use std::sync::{Arc, Mutex};
///
/// let db = Arc::new(Mutex::new(Vec::new()));
/// let sink = db.clone();
/// let writes = WriteBehind::start(WriteBehindConfig::default(), move |batch: Vec<(u64, String)>| {
///     let sink = sink.clone();
///     async move {
///         sink.lock().unwrap().extend(batch);
///         Ok::<(), std::io::Error>(())
///     }
/// });
/// writes.push((7, "new name".into())).await.unwrap();
/// writes.shutdown().await.unwrap();
/// assert_eq!(db.lock().unwrap().len(), 1);
/// # });
/// ```
pub struct WriteBehind<T> {
    items: mpsc::Sender<T>,
    commands: mpsc::Sender<Command<T>>,
    counters: Arc<Counters>,
}

impl<T: Clone + Send + 'static> WriteBehind<T> {
    /// Starts the background task (on the current tokio runtime) that calls `flush` with
    /// batches of items.
    pub fn start<F, Fut, E>(config: WriteBehindConfig, flush: F) -> Self
    where
        F: FnMut(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Display + 'static,
    {
        let config = WriteBehindConfig {
            capacity: config.capacity.max(1),
            batch_size: config.batch_size.max(1),
            flush_interval: config.flush_interval.max(Duration::from_millis(1)),
            ..config
        };
        let (items, item_rx) = mpsc::channel(config.batch_size.min(config.capacity));
        let (commands, command_rx) = mpsc::channel(4);
        let counters = Arc::new(Counters::default());
        let worker = Worker {
            config,
            flush,
            pending: VecDeque::new(),
            counters: counters.clone(),
        };
        tokio::spawn(worker.run(item_rx, command_rx));
        Self {
            items,
            commands,
            counters,
        }
    }

    /// Queues `item`, waiting while the queue is full; hands it back when the buffer no
    /// longer runs.
    pub async fn push(&self, item: T) -> Result<(), Rejected<T>> {
        match self.items.send(item).await {
            Ok(()) => {
                self.counters.queued.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(mpsc::error::SendError(item)) => Err(Rejected::Closed(item)),
        }
    }

    /// Queues `item` unless the queue is full or the buffer no longer runs.
    pub fn try_push(&self, item: T) -> Result<(), Rejected<T>> {
        match self.items.try_send(item) {
            Ok(()) => {
                self.counters.queued.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(item)) => Err(Rejected::Full(item)),
            Err(mpsc::error::TrySendError::Closed(item)) => Err(Rejected::Closed(item)),
        }
    }

    /// Flushes everything queued so far, once; failed batches stay queued.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.commands.send(Command::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Flushes what is left (retrying each batch a few times) and stops the task; the
    /// items that still could not be written are handed back.
    pub async fn shutdown(self) -> Result<(), Unflushed<T>> {
        let stopped = || Unflushed {
            items: Vec::new(),
            error: "the write-behind task had stopped (its runtime shut down)".to_owned(),
        };
        let (ack, done) = oneshot::channel();
        if self.commands.send(Command::Shutdown(ack)).await.is_err() {
            return Err(stopped());
        }
        done.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// The buffer's counters now.
    pub fn stats(&self) -> WriteBehindStats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WriteBehindStats {
            queued: load(&self.counters.queued),
            flushed: load(&self.counters.flushed),
            failed_flushes: load(&self.counters.failed_flushes),
        }
    }
}

struct Worker<T, F> {
    config: WriteBehindConfig,
    flush: F,
    pending: VecDeque<T>,
    counters: Arc<Counters>,
}

impl<T, F, Fut, E> Worker<T, F>
where
    T: Clone + Send + 'static,
    F: FnMut(Vec<T>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Display + 'static,
{
    async fn run(mut self, mut items: mpsc::Receiver<T>, mut commands: mpsc::Receiver<Command<T>>) {
        let mut tick = tokio::time::interval(self.config.flush_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                item = items.recv(), if self.pending.len() < self.config.capacity => match item {
                    Some(item) => {
                        self.pending.push_back(item);
                        if self.pending.len() >= self.config.batch_size {
                            let _ = self.flush_batch().await;
                        }
                    }
                    None => return self.abandoned(&mut items).await,
                },
                _ = tick.tick() => {
                    let _ = self.flush_pending().await;
                }
                command = commands.recv() => match command {
                    Some(Command::Flush(ack)) => {
                        while let Ok(item) = items.try_recv() {
                            self.pending.push_back(item);
                        }
                        let _ = self.flush_pending().await;
                        let _ = ack.send(());
                    }
                    Some(Command::Shutdown(ack)) => {
                        items.close();
                        let _ = ack.send(self.drain_and_flush(&mut items).await);
                        return;
                    }
                    // The handle was dropped without `shutdown` (the item branch may be
                    // paused while the queue is full, so this one notices too).
                    None => return self.abandoned(&mut items).await,
                },
            }
        }
    }

    /// Every handle dropped without shutdown: a last best-effort flush, and an error
    /// event counting what could not be written.
    async fn abandoned(&mut self, items: &mut mpsc::Receiver<T>) {
        items.close();
        if let Err(unflushed) = self.drain_and_flush(items).await {
            tracing::error!(lost = unflushed.items.len(), error = %unflushed.error, "write_behind_items_lost");
        }
    }

    async fn drain_and_flush(&mut self, items: &mut mpsc::Receiver<T>) -> Result<(), Unflushed<T>> {
        while let Ok(item) = items.try_recv() {
            self.pending.push_back(item);
        }
        let mut last_error = String::new();
        for attempt in 0..self.config.shutdown_attempts.max(1) {
            match self.flush_pending().await {
                Ok(()) => return Ok(()),
                Err(error) => last_error = error,
            }
            tokio::time::sleep(Duration::from_millis(100 << attempt.min(6))).await;
        }
        Err(Unflushed {
            items: self.pending.drain(..).collect(),
            error: last_error,
        })
    }

    /// Flushes every pending batch; stops at the first failure (its batch re-queued).
    async fn flush_pending(&mut self) -> Result<(), String> {
        while !self.pending.is_empty() {
            self.flush_batch().await?;
        }
        Ok(())
    }

    async fn flush_batch(&mut self) -> Result<(), String> {
        let n = self.pending.len().min(self.config.batch_size.max(1));
        let batch: Vec<T> = self.pending.iter().take(n).cloned().collect();
        // A panicking writer is a failed flush: the batch stays queued, the task lives on.
        let flush = &mut self.flush;
        let outcome = match catch_unwind(AssertUnwindSafe(|| flush(batch))) {
            Ok(future) => {
                let mut future = Box::pin(future);
                poll_fn(
                    |cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                        Ok(Poll::Pending) => Poll::Pending,
                        Ok(Poll::Ready(result)) => Poll::Ready(result.map_err(|e| e.to_string())),
                        Err(_) => Poll::Ready(Err("the flush panicked".to_owned())),
                    },
                )
                .await
            }
            Err(_) => Err("the flush panicked".to_owned()),
        };
        match outcome {
            Ok(()) => {
                self.pending.drain(..n);
                self.counters.flushed.fetch_add(n as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(error) => {
                self.counters.failed_flushes.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(items = n, %error, "write_behind_flush_failed");
                Err(error)
            }
        }
    }
}
