//! One `#[log_performance]` call site: its operation's metrics and a `tracing` callsite of
//! its own whose interest is cached.

use crate::perf::Operation;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use tracing::callsite::{Callsite, Identifier};
use tracing::field::FieldSet;
use tracing::level_filters::LevelFilter;
use tracing::metadata::Kind;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata};

/// Whether operation metrics are on.
#[inline]
pub fn perf_metrics_on() -> bool {
    crate::perf::enabled()
}

/// One annotated function: its operation name, (lazily) its metrics, and a `tracing`
/// callsite of its own, so "is this operation's level on?" is answered from the cached
/// interest (as `event!` does) instead of asking the subscriber on every call.
pub struct PerfSite {
    name: &'static str,
    op: OnceLock<Arc<Operation>>,
    meta: Metadata<'static>,
    interest: AtomicU8,
    registration: AtomicU8,
}

const NEVER: u8 = 0;
const SOMETIMES: u8 = 1;
const ALWAYS: u8 = 2;
const UNKNOWN: u8 = 3;

impl PerfSite {
    /// `level` is the least verbose level an event of the call may have (warn when a
    /// `slow` threshold could raise it); `me` is the static being initialised.
    pub const fn new(
        name: &'static str,
        level: Level,
        target: &'static str,
        file: &'static str,
        line: u32,
        me: &'static PerfSite,
    ) -> Self {
        Self {
            name,
            op: OnceLock::new(),
            meta: Metadata::new(
                "log_performance",
                target,
                level,
                Some(file),
                Some(line),
                Some(target),
                FieldSet::new(&[], Identifier(me)),
                Kind::HINT,
            ),
            interest: AtomicU8::new(UNKNOWN),
            registration: AtomicU8::new(0),
        }
    }

    pub(crate) fn op(&self) -> &Operation {
        self.op.get_or_init(|| crate::perf::operation(self.name))
    }

    /// Whether an event of this site's level would be recorded by the current subscriber.
    #[inline]
    pub fn enabled(&'static self) -> bool {
        let level = *self.meta.level();
        if level > tracing::level_filters::STATIC_MAX_LEVEL || level > LevelFilter::current() {
            return false;
        }
        match self.interest() {
            NEVER => false,
            ALWAYS => true,
            _ => tracing::dispatcher::get_default(|d| d.enabled(&self.meta)),
        }
    }

    #[inline]
    fn interest(&'static self) -> u8 {
        match self.interest.load(Ordering::Relaxed) {
            UNKNOWN => self.register(),
            known => known,
        }
    }

    #[cold]
    fn register(&'static self) -> u8 {
        if self
            .registration
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // Calls `set_interest` now and whenever the subscribers change.
            tracing::callsite::register(self);
            self.registration.store(2, Ordering::Release);
        }
        match self.interest.load(Ordering::Relaxed) {
            UNKNOWN => SOMETIMES,
            known => known,
        }
    }
}

impl Callsite for PerfSite {
    fn set_interest(&self, interest: Interest) {
        let v = if interest.is_never() {
            NEVER
        } else if interest.is_always() {
            ALWAYS
        } else {
            SOMETIMES
        };
        self.interest.store(v, Ordering::SeqCst);
    }

    fn metadata(&self) -> &Metadata<'_> {
        &self.meta
    }
}

/// Whether error events are on at all (cheap, level only): decides whether `fields(..)`
/// are captured for a failure event when the operation's own level is off.
#[inline]
pub fn perf_errors_on() -> bool {
    Level::ERROR <= tracing::level_filters::STATIC_MAX_LEVEL
        && Level::ERROR <= LevelFilter::current()
}
