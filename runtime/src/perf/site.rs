//! One `#[log_performance]` call site: its operation's metrics, and the `tracing`
//! callsites of its events and span, built here from the location and field names the
//! expansion passes (so `RUST_LOG` targets and interest checks are the user's module's,
//! while the expansion holds no `event!` of its own).

use super::run::PerfReport;
use crate::perf::Operation;
use std::sync::{Arc, OnceLock};
use tracing::callsite::{DefaultCallsite, Identifier};
use tracing::field::{Empty, FieldSet, Value};
use tracing::level_filters::LevelFilter;
use tracing::metadata::Kind;
use tracing::{Event, Level, Metadata, Span};

/// Whether operation metrics are on.
#[inline]
pub fn perf_metrics_on() -> bool {
    crate::perf::enabled()
}

/// The span's fields, recorded when the call ends (see `perf_span_end`).
const SPAN_FIELDS: &[&str] = &[
    "duration_ms",
    "success",
    "error_type",
    "cache.hit",
    "otel.status_code",
];

/// Where the annotated fn is: what `event!` and `span!` written at the attribute would
/// have taken from `module_path!()`, `file!()` and `line!()`.
#[derive(Clone, Copy)]
pub struct PerfLocation {
    /// `module_path!()`: the target of the events and the span.
    pub target: &'static str,
    /// `file!()`.
    pub file: &'static str,
    /// The fn name's line (the operation's own metadata).
    pub line: u32,
    /// The attribute's line (the events' and the span's metadata).
    pub event_line: u32,
    /// `concat!("event ", file!(), ":", line!())`, the name `event!` gives its events.
    pub event_name: &'static str,
}

/// The field names of the three events, each starting with `message, operation,
/// duration_ms, success`: the completion's (then `cache_hit` above `#[cached]`, then the
/// `fields(..)`), the failure's (`error_type, error` before those) and the warning's
/// (`slow` before those).
#[derive(Clone, Copy)]
pub struct PerfFieldNames {
    /// The completion event's field names.
    pub completed: &'static [&'static str],
    /// The failure event's field names.
    pub failed: &'static [&'static str],
    /// The warning event's field names.
    pub warning: &'static [&'static str],
}

/// A static metadata and its callsite, whose interest `tracing` caches.
struct Site {
    meta: Metadata<'static>,
    callsite: DefaultCallsite,
}

impl Site {
    /// Whether the current subscriber records this site (`event!`'s and `span!`'s check).
    #[inline]
    fn enabled(&'static self) -> bool {
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

    /// Dispatches an event with `head` then `tail` as its values, in the order of its
    /// field names. The caller checked [`Site::enabled`].
    #[inline(never)]
    fn dispatch(&'static self, head: &[Option<&dyn Value>], tail: &[Option<&dyn Value>]) {
        if tail.is_empty() {
            return self.dispatch_all(head);
        }
        const INLINE: usize = 16;
        let len = head.len() + tail.len();
        if len <= INLINE {
            let mut inline: [Option<&dyn Value>; INLINE] = [None; INLINE];
            inline[..head.len()].copy_from_slice(head);
            inline[head.len()..len].copy_from_slice(tail);
            self.dispatch_all(&inline[..len]);
        } else {
            let all: Vec<Option<&dyn Value>> = head.iter().chain(tail).copied().collect();
            self.dispatch_all(&all);
        }
    }

    fn dispatch_all(&'static self, values: &[Option<&dyn Value>]) {
        Event::dispatch(&self.meta, &self.meta.fields().value_set_all(values));
    }
}

/// Builds a [`Site`] in place: `callsite` must be the `callsite` field of the static
/// being initialised, whose `meta` field the callsite points back to.
macro_rules! site {
    ($me:ident . $field:ident, $name:expr, $level:expr, $loc:expr, $line:expr, $names:expr, $kind:expr) => {
        Site {
            meta: Metadata::new(
                $name,
                $loc.target,
                $level,
                Some($loc.file),
                Some($line),
                Some($loc.target),
                FieldSet::new($names, Identifier(&$me.$field.callsite)),
                $kind,
            ),
            callsite: DefaultCallsite::new(&$me.$field.meta),
        }
    };
}

/// One annotated function: its operation name, (lazily) its metrics, a `tracing` callsite
/// of its own ([`DefaultCallsite`], as `event!` uses), so "is this operation's level on?"
/// is answered from the cached interest instead of asking the subscriber on every call,
/// and the callsites of its completion, failure and warning events and of its span.
pub struct PerfSite {
    name: &'static str,
    op: OnceLock<Arc<Operation>>,
    operation: Site,
    completed: Site,
    failed: Site,
    warning: Site,
    span: Site,
}

impl PerfSite {
    /// `level` is the level of a completion event and of the span; `site_level` the least
    /// verbose level an event of the call may have (warn when a `slow` threshold could
    /// raise it); `me` is the static being initialised.
    pub const fn new(
        name: &'static str,
        level: Level,
        site_level: Level,
        location: PerfLocation,
        fields: PerfFieldNames,
        me: &'static PerfSite,
    ) -> Self {
        let (loc, at) = (location, location.event_line);
        Self {
            name,
            op: OnceLock::new(),
            operation: site!(
                me.operation,
                "log_performance",
                site_level,
                loc,
                loc.line,
                &[],
                Kind::HINT
            ),
            completed: site!(
                me.completed,
                loc.event_name,
                level,
                loc,
                at,
                fields.completed,
                Kind::EVENT
            ),
            failed: site!(
                me.failed,
                loc.event_name,
                Level::ERROR,
                loc,
                at,
                fields.failed,
                Kind::EVENT
            ),
            warning: site!(
                me.warning,
                loc.event_name,
                Level::WARN,
                loc,
                at,
                fields.warning,
                Kind::EVENT
            ),
            span: site!(me.span, name, level, loc, at, SPAN_FIELDS, Kind::SPAN),
        }
    }

    pub(crate) fn op(&self) -> &Operation {
        self.op.get_or_init(|| crate::perf::operation(self.name))
    }

    /// Whether an event of this site's level would be recorded by the current subscriber.
    #[inline]
    pub fn enabled(&'static self) -> bool {
        self.operation.enabled()
    }

    /// The call's span, as `span!` at the attribute opens it (disabled when the subscriber
    /// does not want it).
    #[inline(never)]
    pub fn new_span(&'static self) -> Span {
        if self.span.enabled() {
            let empty = Some(&Empty as &dyn Value);
            Span::new(
                &self.span.meta,
                &self.span.meta.fields().value_set_all(&[empty; 5]),
            )
        } else {
            Span::new_disabled(&self.span.meta)
        }
    }

    /// The call's span when the call is timed (`active`) and spans are on.
    #[inline]
    pub fn span_if(&'static self, active: bool) -> Option<Span> {
        (active && super::span::perf_spans_on()).then(|| self.new_span())
    }

    /// Writes the event for how the call ended, then records the outcome on its span:
    /// `operation_completed` at the fn's level, `operation_failed` at ERROR for an `Err`
    /// or a panic, and a WARN for a slow completion or a cancellation. `fields` are the
    /// values of the names after the outcome's own (`cache_hit`, then `fields(..)`).
    #[inline(never)]
    pub fn report(
        &'static self,
        report: PerfReport<'_>,
        span: Option<&Span>,
        fields: &[Option<&dyn Value>],
    ) {
        let name = &self.name as &dyn Value;
        match report {
            PerfReport::Completed {
                duration_ms,
                slow: false,
            } => {
                if self.completed.enabled() {
                    self.completed.dispatch(
                        &[
                            Some(&format_args!("operation_completed")),
                            Some(name),
                            Some(&duration_ms),
                            Some(&true),
                        ],
                        fields,
                    );
                }
            }
            PerfReport::Failed { .. } | PerfReport::Panicked { .. } if self.failed.enabled() => {
                let (duration_ms, error_type, error) = report.failure();
                self.failed.dispatch(
                    &[
                        Some(&format_args!("operation_failed")),
                        Some(name),
                        Some(&duration_ms),
                        Some(&false),
                        Some(&error_type),
                        Some(&error),
                    ],
                    fields,
                );
            }
            PerfReport::Completed { .. } | PerfReport::Cancelled { .. }
                if self.warning.enabled() =>
            {
                let (duration_ms, success, slow, event_name) = report.warning();
                self.warning.dispatch(
                    &[
                        Some(&format_args!("{event_name}")),
                        Some(name),
                        Some(&duration_ms),
                        Some(&success),
                        Some(&slow),
                    ],
                    fields,
                );
            }
            PerfReport::Completed { .. }
            | PerfReport::Failed { .. }
            | PerfReport::Panicked { .. }
            | PerfReport::Cancelled { .. } => {}
        }
        if span.is_some() {
            super::span::perf_span_end(span, report);
        }
    }
}

/// Whether error events are on at all (cheap, level only): decides whether `fields(..)`
/// are captured for a failure event when the operation's own level is off.
#[inline]
pub fn perf_errors_on() -> bool {
    Level::ERROR <= tracing::level_filters::STATIC_MAX_LEVEL
        && Level::ERROR <= LevelFilter::current()
}
