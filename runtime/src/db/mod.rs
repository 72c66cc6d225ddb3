//! Database query events: statement sanitising, the `db.query` span and adapters.
//!
//! Every statement run through [`instrument_db`](crate::instrument_db) or an adapter
//! produces, on the `tracing` target [`TARGET`] (`memotrace::db`):
//!
//! | event (message) | level | extra fields |
//! |---|---|---|
//! | `sql_query_started` | debug | |
//! | `sql_query_completed` | debug | `duration_ms` |
//! | `slow_sql_query` | warn | `duration_ms`, `slow_threshold_ms` |
//! | `sql_query_failed` | error | `duration_ms`, `error_type`, `error` |
//!
//! with the OpenTelemetry field names `db.system.name`, `db.query.text` (literals masked in
//! the [`Dialect`] that `db.system.name` names, cut to [`MAX_TEXT_CHARS`]),
//! `db.operation.name`, `db.collection.name` (both inferred from the masked statement when
//! not given) and
//! `db.query.parameters` (only the parameters named in `params(..)`, cut to
//! [`MAX_PARAMS_CHARS`], sensitive names redacted). The macro also opens an info-level
//! `db.query` span carrying the same fields (plus `otel.name`, `otel.kind = "client"`, and on
//! failure `otel.status_code = "ERROR"`, `error.type`).
//!
//! When none of these levels is enabled for the target, nothing is measured, formatted or
//! sanitised. A statement is slow when it takes longer than its own `slow = ".."` or, by
//! default, [`slow_threshold`] (1 s; set it with [`set_slow_threshold`] or the environment
//! variable `MEMOTRACE_DB_SLOW_MS`).
//!
//! ```
//! use memotrace::instrument_db;
//!
//! #[derive(Debug)]
//! struct NotFound;
//! impl std::fmt::Display for NotFound {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         f.write_str("no such user")
//!     }
//! }
//!
//! // Logged as `SELECT name FROM users WHERE id = ?1 AND is_active = ?`, operation
//! // `SELECT`, table `users`, parameters `id=7`.
//! #[instrument_db(system = "sqlite", statement = "SELECT name FROM users WHERE id = ?1 AND is_active = 1", params(id))]
//! fn user_name(id: i64) -> Result<String, NotFound> {
//!     if id == 7 { Ok("Ann".to_owned()) } else { Err(NotFound) }
//! }
//!
//! assert_eq!(user_name(7).unwrap(), "Ann");
//! assert!(user_name(8).is_err()); // `sql_query_failed`, `error_type` = the path of `NotFound`
//! ```
//!
//! Adapters log every statement of a library without annotating each fn:
//! `memotrace::db::rusqlite` (feature `rusqlite`) and
//! `memotrace::db::sqlx` (feature `sqlx`).

use std::borrow::Cow;
use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tracing::field::Empty;
use tracing::{Level, Span};

pub(crate) mod call;
pub(crate) mod deferred;
mod infer;
mod sanitize;

#[cfg(feature = "rusqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "rusqlite")))]
pub mod rusqlite;
#[cfg(feature = "sqlx")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlx")))]
pub mod sqlx;

pub use deferred::double_delete_failures;
pub use infer::infer;
pub use sanitize::{sanitize, Dialect};

/// The `tracing` target of every db event and span.
pub const TARGET: &str = "memotrace::db";

/// `db.query.text` is cut to this many characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// How much of a statement's sanitised form is read: enough for [`MAX_TEXT_CHARS`]
/// characters of text and for inference, which stops there too.
const INFER_PREFIX_BYTES: usize = 4096;

/// A statement as logged: its masked text and what inference found in it.
pub(crate) struct Described {
    pub text: String,
    pub operation: Option<String>,
    pub table: Option<String>,
}

/// Sanitises the start of `statement` once (at most [`INFER_PREFIX_BYTES`] of output), and
/// infers its operation and table from that: no literal can reach either, and a 1 MB
/// statement costs what its first few kilobytes cost.
pub(crate) fn describe(statement: &str, dialect: Dialect) -> Described {
    let mut text = String::with_capacity(statement.len().min(INFER_PREFIX_BYTES));
    match sanitize::sanitize_into(statement, dialect, &mut text, INFER_PREFIX_BYTES) {
        Ok(complete) => {
            // A cut prefix may end inside a name: infer from its whole tokens only.
            let whole = if complete {
                &text[..]
            } else {
                text.rfind(' ').map_or("", |at| &text[..at])
            };
            let (operation, table) = infer::infer_masked(whole);
            sanitize::truncate_chars(&mut text, MAX_TEXT_CHARS);
            Described {
                text,
                operation,
                table,
            }
        }
        Err(sanitize::Untokenizable) => Described {
            text: sanitize::untokenizable(statement.len()),
            operation: None,
            table: None,
        },
    }
}

/// `db.query.parameters` is cut to this many characters.
pub const MAX_PARAMS_CHARS: usize = 200;

/// What a redacted parameter value prints (the logging runtime's marker).
pub use crate::log::REDACTED;

/// The rules parameter names are checked against: the logging runtime's default
/// [`Redactor`](crate::log::Redactor) (`password`, `token`, `api_key`, `secret`,
/// `authorization`, `credit_card`, `ssn`), plus `passwd` and `apikey`.
fn param_redactor() -> &'static crate::log::Redactor {
    static REDACTOR: OnceLock<crate::log::Redactor> = OnceLock::new();
    REDACTOR.get_or_init(|| crate::log::Redactor::default().with(["passwd", "apikey"]))
}

const UNSET: u64 = u64::MAX;
static SLOW_MS: AtomicU64 = AtomicU64::new(UNSET);

/// Sets the default slow-query threshold (for statements without their own `slow = ".."`
/// and for the adapters). Takes precedence over `MEMOTRACE_DB_SLOW_MS`.
///
/// ```
/// use std::time::Duration;
/// memotrace::db::set_slow_threshold(Duration::from_millis(250));
/// assert_eq!(memotrace::db::slow_threshold(), Duration::from_millis(250));
/// ```
pub fn set_slow_threshold(threshold: Duration) {
    let ms = u64::try_from(threshold.as_millis())
        .unwrap_or(UNSET - 1)
        .min(UNSET - 1);
    SLOW_MS.store(ms, Ordering::Relaxed);
}

/// The default slow-query threshold: what [`set_slow_threshold`] set, else
/// `MEMOTRACE_DB_SLOW_MS` (milliseconds, read once), else 1 s.
///
/// ```
/// let threshold = memotrace::db::slow_threshold();
/// assert!(threshold > std::time::Duration::ZERO);
/// ```
#[must_use]
pub fn slow_threshold() -> Duration {
    let ms = SLOW_MS.load(Ordering::Relaxed);
    if ms != UNSET {
        return Duration::from_millis(ms);
    }
    let from_env = std::env::var("MEMOTRACE_DB_SLOW_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let ms = from_env.unwrap_or(1_000).min(UNSET - 1);
    // Keep a value set concurrently by `set_slow_threshold`.
    let _ = SLOW_MS.compare_exchange(UNSET, ms, Ordering::Relaxed, Ordering::Relaxed);
    Duration::from_millis(SLOW_MS.load(Ordering::Relaxed))
}

/// Whether a parameter called `name` is printed as [`REDACTED`]: its name contains, in any
/// case, one of the logging runtime's sensitive fragments (or `passwd`, `apikey`).
///
/// ```
/// assert!(memotrace::db::is_sensitive_param("hashed_password"));
/// assert!(!memotrace::db::is_sensitive_param("email"));
/// ```
#[must_use]
pub fn is_sensitive_param(name: &str) -> bool {
    param_redactor().is_sensitive(name)
}

/// Whether any db event level is enabled: the one check made before doing anything.
///
/// `sql_query_failed` is the most severe event, so when ERROR is off for the target the
/// others are too (level filters are ordered).
#[inline]
pub(crate) fn any_enabled() -> bool {
    tracing::enabled!(target: TARGET, Level::ERROR)
}

/// The fields every event carries.
pub(crate) struct Fields<'a> {
    pub system: &'a str,
    pub text: &'a str,
    pub operation: Option<&'a str>,
    pub table: Option<&'a str>,
    pub params: Option<&'a str>,
}

pub(crate) fn emit_started(f: &Fields<'_>) {
    tracing::event!(
        target: TARGET,
        Level::DEBUG,
        db.system.name = f.system,
        db.query.text = f.text,
        db.operation.name = f.operation,
        db.collection.name = f.table,
        db.query.parameters = f.params,
        "sql_query_started"
    );
}

/// The error of a failed statement.
pub(crate) struct Failure<'a> {
    pub error_type: &'a str,
    pub error: &'a dyn Display,
}

/// `sql_query_completed`, `slow_sql_query` or `sql_query_failed`.
pub(crate) fn emit_finished(
    f: &Fields<'_>,
    elapsed: Duration,
    slow: Duration,
    failure: Option<&Failure<'_>>,
) {
    // Whole nanoseconds divided once, as the operation and request events do: a product
    // of seconds and 1e3 prints as 0.040333999999999995.
    let duration_ms = elapsed.as_nanos() as f64 / 1e6;
    if let Some(failure) = failure {
        tracing::event!(
            target: TARGET,
            Level::ERROR,
            db.system.name = f.system,
            db.query.text = f.text,
            db.operation.name = f.operation,
            db.collection.name = f.table,
            db.query.parameters = f.params,
            duration_ms,
            error_type = failure.error_type,
            error = %failure.error,
            "sql_query_failed"
        );
    } else if elapsed > slow {
        let slow_threshold_ms = u64::try_from(slow.as_millis()).unwrap_or(u64::MAX);
        tracing::event!(
            target: TARGET,
            Level::WARN,
            db.system.name = f.system,
            db.query.text = f.text,
            db.operation.name = f.operation,
            db.collection.name = f.table,
            db.query.parameters = f.params,
            duration_ms,
            slow_threshold_ms,
            "slow_sql_query"
        );
    } else {
        tracing::event!(
            target: TARGET,
            Level::DEBUG,
            db.system.name = f.system,
            db.query.text = f.text,
            db.operation.name = f.operation,
            db.collection.name = f.table,
            db.query.parameters = f.params,
            duration_ms,
            "sql_query_completed"
        );
    }
}

/// One running statement: its fields, its clock and its `db.query` span. Built only when
/// [`any_enabled`] said so.
pub(crate) struct Run {
    pub system: &'static str,
    pub text: Cow<'static, str>,
    pub operation: Option<Cow<'static, str>>,
    pub table: Option<Cow<'static, str>>,
    pub params: Option<String>,
    pub slow: Duration,
    pub span: Span,
    pub start: Instant,
}

impl Run {
    /// Opens the span, emits `sql_query_started` and starts the clock.
    pub(crate) fn begin(
        system: &'static str,
        text: Cow<'static, str>,
        operation: Option<Cow<'static, str>>,
        table: Option<Cow<'static, str>>,
        params: Option<String>,
        slow: Duration,
    ) -> Self {
        let span = tracing::info_span!(
            target: TARGET,
            "db.query",
            db.system.name = system,
            db.query.text = Empty,
            db.operation.name = Empty,
            db.collection.name = Empty,
            db.query.parameters = Empty,
            otel.name = Empty,
            otel.kind = "client",
            otel.status_code = Empty,
            "error.type" = Empty,
        );
        let fields = Fields {
            system,
            text: &text,
            operation: operation.as_deref(),
            table: table.as_deref(),
            params: params.as_deref(),
        };
        if !span.is_disabled() {
            span.record("db.query.text", fields.text);
            if let Some(op) = fields.operation {
                span.record("db.operation.name", op);
            }
            if let Some(table) = fields.table {
                span.record("db.collection.name", table);
            }
            if let Some(params) = fields.params {
                span.record("db.query.parameters", params);
            }
            let name = match (fields.operation, fields.table) {
                (Some(op), Some(t)) => format!("{op} {t}"),
                (Some(op), None) => op.to_owned(),
                _ => system.to_owned(),
            };
            span.record("otel.name", name.as_str());
        }
        if tracing::enabled!(target: TARGET, Level::DEBUG) {
            span.in_scope(|| emit_started(&fields));
        }
        Self {
            system,
            text,
            operation,
            table,
            params,
            slow,
            span,
            start: Instant::now(),
        }
    }

    pub(crate) fn fields(&self) -> Fields<'_> {
        Fields {
            system: self.system,
            text: &self.text,
            operation: self.operation.as_deref(),
            table: self.table.as_deref(),
            params: self.params.as_deref(),
        }
    }

    /// Emits the end event inside the span.
    pub(crate) fn end(&self, failure: Option<&Failure<'_>>) {
        let elapsed = self.start.elapsed();
        if let Some(failure) = failure {
            if !self.span.is_disabled() {
                self.span.record("otel.status_code", "ERROR");
                self.span.record("error.type", failure.error_type);
            }
        }
        self.span
            .in_scope(|| emit_finished(&self.fields(), elapsed, self.slow, failure));
    }
}
