//! One `#[log_performance]` call site: its operation's metrics and a `tracing` callsite of
//! its own whose interest is cached.

use crate::perf::Operation;
use std::sync::{Arc, OnceLock};
use tracing::callsite::{DefaultCallsite, Identifier};
use tracing::field::FieldSet;
use tracing::level_filters::LevelFilter;
use tracing::metadata::Kind;
use tracing::{Level, Metadata};

/// Whether operation metrics are on.
#[inline]
pub fn perf_metrics_on() -> bool {
    crate::perf::enabled()
}

/// One annotated function: its operation name, (lazily) its metrics, and a `tracing`
/// callsite of its own ([`DefaultCallsite`], as `event!` uses), so "is this operation's
/// level on?" is answered from the cached interest instead of asking the subscriber on
/// every call.
pub struct PerfSite {
    name: &'static str,
    op: OnceLock<Arc<Operation>>,
    meta: Metadata<'static>,
    callsite: DefaultCallsite,
}

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
                FieldSet::new(&[], Identifier(&me.callsite)),
                Kind::HINT,
            ),
            callsite: DefaultCallsite::new(&me.meta),
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
        let interest = self.callsite.interest();
        if interest.is_never() {
            return false;
        }
        interest.is_always() || tracing::dispatcher::get_default(|d| d.enabled(&self.meta))
    }
}

/// Whether error events are on at all (cheap, level only): decides whether `fields(..)`
/// are captured for a failure event when the operation's own level is off.
#[inline]
pub fn perf_errors_on() -> bool {
    Level::ERROR <= tracing::level_filters::STATIC_MAX_LEVEL
        && Level::ERROR <= LevelFilter::current()
}
