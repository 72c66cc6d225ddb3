//! Expansions stay clean in a user crate that denies warnings and pedantic clippy: every
//! shape the macro accepts appears here (CI runs clippy with `-D warnings` on this file).

#![deny(warnings, clippy::all, clippy::pedantic)]

use memotrace::log_performance;
use std::fmt::Debug;

/// A unit fn.
#[log_performance]
pub fn unit() {}

/// Borrowed arguments and a borrowed return.
#[log_performance(level = "info", fields(len = name.len()))]
#[must_use]
pub fn first_word(name: &str) -> &str {
    name.split(' ').next().unwrap_or_default()
}

/// A `Result` with `?` inside.
///
/// # Errors
/// When `s` is not a number.
#[log_performance(name = "lints.parse", slow = "1s", fields(s))]
pub fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = s.trim().parse()?;
    Ok(n + 1)
}

/// Generic with a `Debug` field.
#[log_performance(fields(value))]
pub fn generic<T: Debug + Clone>(value: T) -> T {
    value
}

/// `impl Trait` in return position.
#[log_performance(level = "trace")]
pub fn evens(n: u32) -> impl Iterator<Item = u32> {
    (0..n).filter(|x| x % 2 == 0)
}

/// Skipped argument.
#[log_performance(skip(password), fields(user))]
#[must_use]
pub fn login(user: &str, password: &str) -> bool {
    !user.is_empty() && password.len() > 3
}

/// Struct with methods.
pub struct Service {
    name: String,
}

impl Service {
    /// Async `&self` with `?`.
    ///
    /// # Errors
    /// When `id` is zero.
    #[log_performance(level = "info", fields(self.name, id))]
    pub async fn get(&self, id: u32) -> Result<String, String> {
        if id == 0 {
            return Err("zero".to_owned());
        }
        tokio::task::yield_now().await;
        Ok(format!("{}:{id}", self.name))
    }

    /// Sync `&mut self`.
    #[log_performance]
    pub fn rename(&mut self, name: String) {
        self.name = name;
    }

    /// By value.
    #[log_performance(crate = "::memotrace")]
    #[must_use]
    pub fn into_name(self) -> String {
        self.name
    }
}

#[test]
fn all_shapes_run() {
    unit();
    assert_eq!(first_word("a b"), "a");
    assert_eq!(parse(" 4 "), Ok(5));
    assert!(parse("x").is_err());
    assert_eq!(generic(vec![1]), vec![1]);
    assert_eq!(evens(5).count(), 3);
    assert!(login("ann", "secret"));
    let mut s = Service { name: "svc".into() };
    s.rename("users".into());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(s.get(2)).unwrap(), "users:2");
    assert!(rt.block_on(s.get(0)).is_err());
    assert_eq!(s.into_name(), "users");
}
