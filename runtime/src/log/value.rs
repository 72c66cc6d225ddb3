//! Owned field values: what spans and bound context keep until an event is written.

use std::borrow::Cow;
use std::fmt;

/// One field value held by bound context or a span.
///
/// Built with `From` from the usual scalar types, strings, [`serde_json::Value`] and
/// [`Redacted`](super::Redacted):
///
/// ```
/// use memotrace::log::Value;
/// let v: Value = 42_u32.into();
/// assert_eq!(v, Value::U64(42));
/// let s: Value = "abc".into();
/// assert_eq!(s.to_string(), "abc");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A string.
    Str(Cow<'static, str>),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float (non-finite values are written as `null` in JSON).
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// A JSON value, written as nested JSON (redacted inside).
    Json(serde_json::Value),
    /// An error: its message and the messages of its sources, outermost first.
    Error {
        message: String,
        sources: Vec<String>,
    },
    /// A value that is never printed.
    Redacted,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Str(s) => f.write_str(s),
            Self::I64(v) => write!(f, "{v}"),
            Self::U64(v) => write!(f, "{v}"),
            Self::F64(v) => write!(f, "{v}"),
            Self::Bool(v) => write!(f, "{v}"),
            Self::Json(v) => write!(f, "{v}"),
            Self::Error { message, .. } => f.write_str(message),
            Self::Redacted => f.write_str(super::REDACTED),
        }
    }
}

macro_rules! from_int {
    ($variant:ident as $as:ty: $($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Self::$variant(<$as>::from(v))
            }
        }
    )*};
}
from_int!(I64 as i64: i8, i16, i32, i64);
from_int!(U64 as u64: u8, u16, u32, u64);

impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Self::U64(v as u64)
    }
}
impl From<isize> for Value {
    fn from(v: isize) -> Self {
        Self::I64(v as i64)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Self::F64(f64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::F64(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<&'static str> for Value {
    fn from(v: &'static str) -> Self {
        Self::Str(Cow::Borrowed(v))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Str(Cow::Owned(v))
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Self::Str(Cow::Owned(v.clone()))
    }
}
impl From<Cow<'static, str>> for Value {
    fn from(v: Cow<'static, str>) -> Self {
        Self::Str(v)
    }
}
impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Self::Json(v)
    }
}
impl<T> From<super::Redacted<T>> for Value {
    fn from(_: super::Redacted<T>) -> Self {
        Self::Redacted
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Json(serde_json::Value::Null), Into::into)
    }
}
