//! rusqlite adapter (feature `rusqlite`): logs every statement a [`Connection`] runs,
//! through SQLite's own trace hooks, with the same events as `#[instrument_db]`.
//!
//! [`instrument`] registers a `trace_v2` callback (`SQLITE_TRACE_STMT | SQLITE_TRACE_PROFILE`):
//! - when a statement starts running: `sql_query_started`;
//! - when it finishes: `sql_query_completed`, or `slow_sql_query` over
//!   [`slow_threshold`](crate::db::slow_threshold), `duration_ms` measured from the start
//!   hook to the profile hook.
//!
//! What the hooks cannot see, and how to get it:
//! - **Failures.** SQLite calls the profile hook *before* it records a statement's error,
//!   so the hook alone cannot tell a failed statement from a finished one. Call
//!   [`log_errors`] once at start-up (before the first connection opens): SQLite's error log
//!   then tells the adapter, and a statement that fails while running (constraint
//!   violation, `RAISE(ABORT)`, a busy database, ...) ends with `sql_query_failed`
//!   (`error_type` = SQLite's error code name such as `ConstraintViolation`, `error` = its
//!   message, never the statement). Statements that fail to *prepare* (a syntax error, an
//!   unknown table) never run, so no hook fires for them: annotate the fn with
//!   `#[instrument_db]` for those.
//! - **Parameters.** The hooks see the statement, not the names of its parameters, so
//!   `db.query.parameters` is never logged (the expanded SQL would leak the values).
//! - **Span.** Hooks are callbacks, not scopes, so there is no `db.query` span; events land
//!   in whatever span is current.
//!
//! ```
//! let conn = rusqlite::Connection::open_in_memory()?;
//! memotrace::db::rusqlite::instrument(&conn);
//! conn.execute_batch("CREATE TABLE t (x INTEGER)")?; // logged
//! conn.execute("INSERT INTO t VALUES (?1)", [42])?;  // logged as `INSERT INTO t VALUES (?1)`
//! # Ok::<(), rusqlite::Error>(())
//! ```

use crate::db::{self, Failure, Fields};
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::Connection;
use std::cell::RefCell;
use std::os::raw::c_int;
use std::time::Instant;

/// Logs every statement `conn` runs from now on (replacing any other `trace_v2` callback
/// of this connection).
pub fn instrument(conn: &Connection) {
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_STMT | TraceEventCodes::SQLITE_TRACE_PROFILE,
        Some(on_trace),
    );
}

/// Stops logging the statements of `conn`.
pub fn uninstrument(conn: &Connection) {
    conn.trace_v2(TraceEventCodes::empty(), None);
}

/// Routes SQLite's error log to the adapter so statements that fail while running end with
/// `sql_query_failed` instead of `sql_query_completed`.
///
/// SQLite's log is process-wide and can only be configured before SQLite initialises, so
/// call this once, first thing in `main`, before any connection is opened.
///
/// # Errors
/// SQLite's `SQLITE_MISUSE` when it is already initialised.
///
/// # Safety
/// Like [`rusqlite::trace::config_log`]: no other thread may use SQLite while this runs.
pub unsafe fn log_errors() -> rusqlite::Result<()> {
    // SAFETY: forwarded to the caller.
    unsafe { rusqlite::trace::config_log(Some(on_log)) }
}

struct Last {
    raw: String,
    text: String,
    operation: Option<String>,
    table: Option<String>,
    start: Option<Instant>,
}

thread_local! {
    /// The last statement sanitised on this thread (the profile hook reuses the work the
    /// statement hook did).
    static LAST: RefCell<Option<Last>> = const { RefCell::new(None) };
    /// An error SQLite logged on this thread while the current statement ran.
    static PENDING_ERROR: RefCell<Option<(c_int, String)>> = const { RefCell::new(None) };
}

fn on_trace(event: TraceEvent<'_>) {
    match event {
        TraceEvent::Stmt(stmt, text) => {
            // `-- ...` marks a trigger sub-program of a statement already reported.
            if text.starts_with("--") {
                return;
            }
            PENDING_ERROR.with(|p| p.borrow_mut().take());
            if !db::any_enabled() {
                return;
            }
            let debug = tracing::enabled!(target: db::TARGET, tracing::Level::DEBUG);
            with_fields(&stmt.sql(), Some(Instant::now()), |f, _| {
                if debug {
                    db::emit_started(f);
                }
            });
        }
        TraceEvent::Profile(stmt, sqlite_elapsed) => {
            let pending = PENDING_ERROR.with(|p| p.borrow_mut().take());
            if !db::any_enabled() {
                return;
            }
            let slow = db::slow_threshold();
            with_fields(&stmt.sql(), None, |f, start| {
                // Our clock when the start was seen (SQLite's own is millisecond-grained).
                let elapsed = start.map_or(sqlite_elapsed, |s| s.elapsed());
                match &pending {
                    Some((code, message)) => {
                        let error_type = format!("{:?}", rusqlite::ffi::Error::new(*code).code);
                        let failure = Failure {
                            error_type: &error_type,
                            error: message,
                        };
                        db::emit_finished(f, elapsed, slow, Some(&failure));
                    }
                    None => db::emit_finished(f, elapsed, slow, None),
                }
            });
        }
        _ => {}
    }
}

/// Calls `emit` with the fields of `raw` (sanitised as SQLite reads it, once per statement
/// and thread) and the
/// time its run started; `start` records that time.
fn with_fields(raw: &str, start: Option<Instant>, emit: impl FnOnce(&Fields<'_>, Option<Instant>)) {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.as_ref().is_none_or(|l| l.raw != raw) {
            let d = db::describe(raw, db::Dialect::Sqlite);
            *last = Some(Last {
                raw: raw.to_owned(),
                text: d.text,
                operation: d.operation,
                table: d.table,
                start: None,
            });
        }
        if let Some(l) = last.as_mut() {
            if start.is_some() {
                l.start = start;
            }
            let fields = Fields {
                system: "sqlite",
                text: &l.text,
                operation: l.operation.as_deref(),
                table: l.table.as_deref(),
                params: None,
            };
            emit(&fields, l.start);
        }
    });
}

/// SQLite's error log: keeps the error of a statement that aborts while running, for the
/// profile hook that follows on this thread. The message's SQL part is dropped.
fn on_log(code: c_int, message: &str) {
    // "statement aborts at 16: UNIQUE constraint failed: users.email; [INSERT INTO ...]"
    let Some(rest) = message.strip_prefix("statement aborts at ") else {
        return;
    };
    let Some((_, rest)) = rest.split_once(": ") else {
        return;
    };
    let error = rest.rsplit_once("; [").map_or(rest, |(m, _)| m);
    PENDING_ERROR.with(|p| *p.borrow_mut() = Some((code, error.to_owned())));
}
