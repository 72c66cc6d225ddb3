//! The panic hook: logs a panic as an `error` event, then runs the previous hook.

use std::cell::RefCell;
use std::sync::Once;

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The message of the last panic on this thread, taken (set by the hook).
pub(crate) fn take_last_panic() -> Option<String> {
    LAST_PANIC
        .try_with(|p| p.borrow_mut().take())
        .ok()
        .flatten()
}

/// The text of a panic payload.
fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "Box<dyn Any>".to_owned())
}

/// Installs the hook once per process (later calls do nothing). [`init`](super::init)
/// calls it; call it yourself when you install your own subscriber.
///
/// The event: message `panic`, level error, fields `error_type = "panic"`, `error` (the
/// panic message), `location` (`file:line:col`), `thread`, and `backtrace` when
/// `RUST_BACKTRACE` enables it.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = payload_text(info.payload());
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            let _ = LAST_PANIC.try_with(|p| *p.borrow_mut() = Some(message.clone()));
            let backtrace = std::backtrace::Backtrace::capture();
            let backtrace = (backtrace.status() == std::backtrace::BacktraceStatus::Captured)
                .then(|| backtrace.to_string());
            let thread = std::thread::current();
            tracing::error!(
                target: "memotrace::panic",
                error_type = "panic",
                error = %message,
                location = location.as_deref(),
                thread = thread.name().unwrap_or("<unnamed>"),
                backtrace = backtrace.as_deref(),
                "panic"
            );
            previous(info);
        }));
    });
}
