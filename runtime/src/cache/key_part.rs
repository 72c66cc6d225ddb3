//! How a value becomes part of a key or tag template (`key = "user:{a}:{b}"`, `tags =
//! ["team:{team}"]`): `%` and `:` are percent-escaped, so a value never contains the
//! separator and two different argument sets never render to the same key or tag.

use std::fmt::{self, Display, Write};

/// A value as it appears inside a rendered key or tag template: its `Display` text with
/// `%` written `%25` and `:` written `%3A`. Templates render every `{field}` through it,
/// so `a = "1:2", b = "3"` and `a = "1", b = "2:3"` give `user:1%3A2:3` and
/// `user:1:2%3A3`, not one key. Fields of a template are separated by `:` (checked at
/// compile time), which makes rendering injective.
///
/// Use it to name a tag whose values may contain `:` or `%`, exactly as the template
/// renders it:
///
/// ```
/// use memotrace::cache::KeyPart;
///
/// let email = "ops:team@example.com";
/// let tag = format!("user:{}", KeyPart(email));
/// assert_eq!(tag, "user:ops%3Ateam@example.com");
/// // memotrace::cache::invalidate_tag(&tag).await;
/// assert_eq!(KeyPart(42).to_string(), "42");
/// assert_eq!(KeyPart("100%").to_string(), "100%25");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct KeyPart<T>(pub T);

impl<T: Display> Display for KeyPart<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping(f), "{}", self.0)
    }
}

/// Writes through to `f`, escaping `%` and `:`.
struct Escaping<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl Write for Escaping<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut rest = text;
        while let Some(at) = rest.find(['%', ':']) {
            self.0.write_str(&rest[..at])?;
            self.0.write_str(if rest.as_bytes()[at] == b'%' {
                "%25"
            } else {
                "%3A"
            })?;
            rest = &rest[at + 1..];
        }
        self.0.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::KeyPart;

    #[test]
    fn separators_in_values_are_escaped() {
        let render = |a: &str, b: &str| format!("user:{}:{}", KeyPart(a), KeyPart(b));
        assert_eq!(render("1:2", "3"), "user:1%3A2:3");
        assert_eq!(render("1", "2:3"), "user:1:2%3A3");
        assert_ne!(render("1%3A2", "3"), render("1:2", "3"));
        assert_eq!(render("", "::%"), "user::%3A%3A%25");
        assert_eq!(KeyPart("naïve:ü").to_string(), "naïve%3Aü");
    }
}
