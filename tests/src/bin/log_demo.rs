//! A small service that logs through `memotrace::log::init()`, configured only by the
//! environment (`APP_ENV`, `RUST_LOG`, `MEMOTRACE_LOG_FORMAT`). The `log_init` tests run
//! it and parse its stdout.

use memotrace::log::{self, Logger};
use memotrace::log_performance;

#[derive(Debug)]
struct PaymentError;

impl std::fmt::Display for PaymentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("insufficient funds")
    }
}

#[log_performance(level = "info", fields(user_id))]
fn charge(user_id: u32, amount: f64) -> Result<f64, PaymentError> {
    if amount > 50.0 {
        Err(PaymentError)
    } else {
        Ok(amount)
    }
}

#[log_performance(name = "explode")]
fn explode(code: u32) -> u32 {
    assert!(code == 0, "bad code {code}");
    code
}

fn main() {
    let guard = match log::init() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("init failed: {e}");
            std::process::exit(2);
        }
    };
    match log::init() {
        Ok(_) => eprintln!("second init: ok"),
        Err(e) => eprintln!("second init: error: {e}"),
    }
    let request = Logger::new()
        .bind("request_id", "req-789")
        .bind("user_id", 123);
    let _scope = request.enter();
    tracing::debug!(detail = "verbose", "debug_message");
    tracing::info!(password = "hunter2", ip = "192.168.1.1", "user_login");
    tracing::warn!(
        issue = "potential problem",
        api_key = "k-1",
        "warning_message"
    );
    let _ = charge(7, 10.0);
    let _ = charge(7, 99.0);
    let handle = std::thread::Builder::new()
        .name("worker".into())
        .spawn(|| {
            let none: Option<u8> = std::hint::black_box(None);
            none.expect("the worker found nothing")
        })
        .unwrap();
    let _ = handle.join();
    let _ = std::panic::catch_unwind(|| explode(3));
    tracing::error!(
        amount = 99.99,
        reason = "insufficient_funds",
        "payment_failed"
    );
    eprintln!("dropped lines: {}", guard.dropped_lines());
}
