//! How a call's error and captured fields are described: `Display` before `Debug`, `Copy`
//! before `Clone` before `Debug` (autoref specialisation), and type names without paths.

/// `error`'s text: `Display` when it has one, else `Debug`.
pub struct ErrProbe<'a, T: ?Sized>(pub &'a T);

/// The text of an error: picked by autoref, `Display` first.
pub trait DescribeError {
    /// The text.
    fn __memotrace_describe(&self) -> String;
}

impl<T: std::fmt::Display + ?Sized> DescribeError for &&ErrProbe<'_, T> {
    fn __memotrace_describe(&self) -> String {
        self.0.to_string()
    }
}

impl<T: std::fmt::Debug + ?Sized> DescribeError for &ErrProbe<'_, T> {
    fn __memotrace_describe(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// A field value captured at the start of the call: kept as is when it is a `Copy`
/// tracing value, cloned when it is a `Clone` one, else its `Debug` text.
pub struct Capture<'a, T: ?Sized>(pub &'a T);

/// Captures a `Copy` tracing value as is.
pub trait CaptureCopy<T> {
    /// The captured value.
    fn __memotrace_capture(&self) -> T;
}
impl<T: Copy + tracing::Value> CaptureCopy<T> for &&Capture<'_, T> {
    #[inline]
    fn __memotrace_capture(&self) -> T {
        *self.0
    }
}

/// Captures a `Clone` tracing value by cloning it.
pub trait CaptureClone<T> {
    /// The captured value.
    fn __memotrace_capture(&self) -> T;
}
impl<T: Clone + tracing::Value> CaptureClone<T> for &Capture<'_, T> {
    #[inline]
    fn __memotrace_capture(&self) -> T {
        self.0.clone()
    }
}

/// Captures any other `Debug` value as its text.
pub trait CaptureDebug {
    /// The captured text.
    fn __memotrace_capture(&self) -> tracing::field::DisplayValue<String>;
}
impl<T: std::fmt::Debug + ?Sized> CaptureDebug for Capture<'_, T> {
    fn __memotrace_capture(&self) -> tracing::field::DisplayValue<String> {
        tracing::field::display(format!("{:?}", self.0))
    }
}

/// `my_crate::errors::Error<std::io::Error>` → `Error<Error>`: the type's name without
/// module paths.
pub(crate) fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment_start = 0;
    let bytes = full.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b':' && bytes.get(i + 1) == Some(&b':') {
            out.truncate(segment_start);
            i += 2;
            continue;
        }
        out.push(c as char);
        if matches!(
            c,
            b'<' | b'>' | b',' | b' ' | b'(' | b')' | b'[' | b']' | b';' | b'&' | b'*'
        ) {
            segment_start = out.len();
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn short_names() {
        assert_eq!(short_type_name("std::io::error::Error"), "Error");
        assert_eq!(
            short_type_name("my::Wrap<std::io::Error, alloc::string::String>"),
            "Wrap<Error, String>"
        );
        assert_eq!(
            short_type_name("alloc::boxed::Box<dyn core::error::Error + Send>"),
            "Box<dyn Error + Send>"
        );
        assert_eq!(short_type_name("&str"), "&str");
    }
}
