//! One `#[instrument_db]` call: the site's compile-time facts (statement sanitised once)
//! and the span and events of each call.

use crate::db::{self, Dialect, Failure, Run};
use crate::perf::describe::short_type_name;
use std::borrow::Cow;
use std::fmt::{Debug, Display, Write as _};
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;
use tracing::instrument::{Instrument as _, Instrumented};
use tracing::Span;

/// What `#[instrument_db]` knows at compile time; one `static` per annotated fn.
pub struct DbSite {
    system: &'static str,
    statement: Option<&'static str>,
    operation: Option<&'static str>,
    table: Option<&'static str>,
    /// 0: the global default.
    slow_ms: u64,
    /// The literal statement, sanitised in the dialect of `system` and with its operation
    /// and table inferred once, at the site's first logged call.
    prepared: OnceLock<Prepared>,
}

struct Prepared {
    text: Box<str>,
    operation: Option<Box<str>>,
    table: Option<Box<str>>,
}

impl DbSite {
    /// The site of one annotated fn; `slow_ms == 0` means the global threshold.
    #[must_use]
    pub const fn new(
        system: &'static str,
        statement: Option<&'static str>,
        operation: Option<&'static str>,
        table: Option<&'static str>,
        slow_ms: u64,
    ) -> Self {
        Self {
            system,
            statement,
            operation,
            table,
            slow_ms,
            prepared: OnceLock::new(),
        }
    }

    fn slow(&self) -> Duration {
        if self.slow_ms == 0 {
            db::slow_threshold()
        } else {
            Duration::from_millis(self.slow_ms)
        }
    }
}

/// One call of an annotated fn.
pub struct DbCall {
    run: Option<Box<Run>>,
}

impl DbCall {
    /// Starts the call: nothing at all when no db event level is enabled, else the span,
    /// `sql_query_started` and the clock. `statement` is the `statement = arg` value.
    #[inline]
    pub fn start(
        site: &'static DbSite,
        statement: Option<&str>,
        params: impl FnOnce(&mut Params),
    ) -> Self {
        if !db::any_enabled() {
            return Self { run: None };
        }
        Self {
            run: Some(Box::new(begin(site, statement, params_text(params)))),
        }
    }

    /// Runs the sync body inside the `db.query` span.
    #[inline]
    pub fn in_scope<R>(&self, body: impl FnOnce() -> R) -> R {
        match &self.run {
            Some(run) => run.span.in_scope(body),
            None => body(),
        }
    }

    /// Instruments the async body with the `db.query` span.
    #[inline]
    pub fn instrument<F: Future>(&self, body: F) -> Instrumented<F> {
        body.instrument(
            self.run
                .as_ref()
                .map_or_else(Span::none, |r| r.span.clone()),
        )
    }

    /// Ends a call whose fn returns `Result`.
    #[inline]
    pub fn finish_result<T, E: Display>(mut self, result: &Result<T, E>) {
        if let Some(run) = self.run.take() {
            match result {
                Ok(_) => run.end(None),
                Err(e) => run.end(Some(&Failure {
                    error_type: &short_type_name(std::any::type_name::<E>()),
                    error: e,
                })),
            }
        }
    }

    /// Ends a call whose fn returns anything else.
    #[inline]
    pub fn finish(mut self) {
        if let Some(run) = self.run.take() {
            run.end(None);
        }
    }
}

impl Drop for DbCall {
    #[inline]
    fn drop(&mut self) {
        if let Some(run) = self.run.take() {
            end_dropped(&run);
        }
    }
}

/// A call dropped before `finish`: a panic unwinding through the fn is a failure; an async
/// fn dropped before it finished (cancelled) gets no end event.
#[cold]
fn end_dropped(run: &Run) {
    if std::thread::panicking() {
        run.end(Some(&Failure {
            error_type: "panic",
            error: &"the fn panicked",
        }));
    }
}

fn params_text(params: impl FnOnce(&mut Params)) -> Option<String> {
    let mut p = Params::default();
    params(&mut p);
    let text = p.finish();
    (!text.is_empty()).then_some(text)
}

#[cold]
fn begin(site: &'static DbSite, statement: Option<&str>, params: Option<String>) -> Run {
    let op = |o: Option<&'static str>| o.map(Cow::Borrowed);
    let (text, operation, table) = match statement {
        Some(dynamic) => {
            let d = db::describe(dynamic, Dialect::from_system(site.system));
            (
                Cow::Owned(d.text),
                op(site.operation).or(d.operation.map(Cow::Owned)),
                op(site.table).or(d.table.map(Cow::Owned)),
            )
        }
        None => {
            let prepared = site.prepared.get_or_init(|| {
                let d = db::describe(
                    site.statement.unwrap_or(""),
                    Dialect::from_system(site.system),
                );
                Prepared {
                    text: d.text.into(),
                    operation: d.operation.map(Into::into),
                    table: d.table.map(Into::into),
                }
            });
            let inferred = |o: &'static Option<Box<str>>| o.as_deref().map(Cow::Borrowed);
            (
                Cow::Borrowed(&*prepared.text),
                op(site.operation).or_else(|| inferred(&prepared.operation)),
                op(site.table).or_else(|| inferred(&prepared.table)),
            )
        }
    };
    Run::begin(site.system, text, operation, table, params, site.slow())
}

/// Builds the `db.query.parameters` text of an `#[instrument_db(params(..))]` call:
/// `id=7, email="a@b.c", password=***REDACTED***`, cut to [`db::MAX_PARAMS_CHARS`].
#[derive(Default, Debug)]
pub struct Params {
    text: String,
}

impl Params {
    /// Appends `name=value` (the value's `Debug` form, or [`db::REDACTED`]).
    pub fn param(&mut self, name: &str, value: &dyn Debug) {
        // Stop formatting once the text is surely past the cut.
        if self.text.len() > db::MAX_PARAMS_CHARS * 4 {
            return;
        }
        if !self.text.is_empty() {
            self.text.push_str(", ");
        }
        self.text.push_str(name);
        self.text.push('=');
        if db::is_sensitive_param(name) {
            self.text.push_str(db::REDACTED);
        } else {
            let _ = write!(self.text, "{value:?}");
        }
    }

    /// The text, cut to [`db::MAX_PARAMS_CHARS`] characters.
    #[must_use]
    pub fn finish(mut self) -> String {
        db::sanitize::truncate_chars(&mut self.text, db::MAX_PARAMS_CHARS);
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::Params;

    #[test]
    fn params_redact_sensitive_names() {
        let mut p = Params::default();
        p.param("id", &7);
        p.param("password", &"hunter2");
        assert_eq!(p.finish(), "id=7, password=***REDACTED***");
    }
}
