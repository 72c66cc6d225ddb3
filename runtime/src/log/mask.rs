//! Masking the values of sensitive names inside free text (see
//! [`Redactor::mask_text`](super::Redactor::mask_text)).
//!
//! One pass over the bytes looks for what may start something to mask: the separators
//! `=` and `:` (each looks back at the name before it), `b`/`B` (`Bearer`) and `J` (the
//! `eyJ` of a JWT). Nothing is allocated unless something is masked.
//!
//! The pass is a table lookup per byte, written by hand: field values are mostly short,
//! and on a clean 3-field event (six short values scanned) `memchr2` for the separators
//! plus two prebuilt `memmem` finders cost ~2,300 instructions per event (searcher
//! dispatch on each short value), against ~850 for this loop (callgrind,
//! `benches/examples/log_instructions.rs`).

use super::{Redactor, REDACTED};
use std::borrow::Cow;

/// The bytes the pass stops at.
static STARTS: [bool; 256] = {
    let mut t = [false; 256];
    t[b'=' as usize] = true;
    t[b':' as usize] = true;
    t[b'b' as usize] = true;
    t[b'B' as usize] = true;
    t[b'J' as usize] = true;
    t
};

/// Longest name looked at before a separator.
const MAX_NAME: usize = 64;

/// Authorization schemes whose following token is the secret.
const SCHEMES: &[&str] = &[
    "bearer",
    "basic",
    "token",
    "digest",
    "negotiate",
    "ntlm",
    "apikey",
];

pub(super) fn mask<'t>(redactor: &Redactor, text: &'t str) -> Cow<'t, str> {
    let bytes = text.as_bytes();
    let Some(first) = bytes.iter().position(|&b| STARTS[usize::from(b)]) else {
        return Cow::Borrowed(text);
    };
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut resume = 0;
    let mut p = first;
    loop {
        let range = match bytes[p] {
            b'=' | b':' if p >= resume => {
                let range = after_separator(redactor, bytes, p);
                if let Some((_, end)) = range {
                    resume = end;
                }
                range
            }
            b'b' | b'B'
                if bytes[p + 1..].starts_with(b"earer") && !word_byte(bytes, p.wrapping_sub(1)) =>
            {
                bare_bearer(bytes, p + 6)
            }
            b'J' if p >= 2 && &bytes[p - 2..p] == b"ey" && !word_byte(bytes, p.wrapping_sub(3)) => {
                jwt(bytes, p - 2)
            }
            _ => None,
        };
        if let Some(range @ (start, end)) = range {
            if start < end {
                ranges.push(range);
            }
        }
        match bytes[p + 1..].iter().position(|&b| STARTS[usize::from(b)]) {
            Some(next) => p += 1 + next,
            None => break,
        }
    }
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    ranges.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in ranges {
        if end <= copied {
            continue;
        }
        let start = start.max(copied);
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Whether `bytes[i]` exists and is an ASCII letter or digit.
fn word_byte(bytes: &[u8], i: usize) -> bool {
    bytes.get(i).is_some_and(u8::is_ascii_alphanumeric)
}

fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// The separator at `p` (`=`, `=>`, `:`): the range to mask after it when the name
/// before it is sensitive, or the range a URL's password takes. `None` when nothing is
/// to be masked; an empty range when the separator's value was skipped.
fn after_separator(redactor: &Redactor, bytes: &[u8], p: usize) -> Option<(usize, usize)> {
    let next = bytes.get(p + 1).copied();
    let prev = p.checked_sub(1).map(|i| bytes[i]);
    let value_at = match bytes[p] {
        b':' if next == Some(b'/') && bytes.get(p + 2) == Some(&b'/') => {
            return url_password(bytes, p + 3);
        }
        b':' if next == Some(b':') || prev == Some(b':') => return None,
        b'=' if next == Some(b'=') || matches!(prev, Some(b'=' | b'!' | b'<' | b'>')) => {
            return None
        }
        b'=' if next == Some(b'>') => p + 2,
        _ => p + 1,
    };
    // The name: back over blanks, then quotes and their escapes, then name bytes.
    let mut end = p;
    while end > 0 && matches!(bytes[end - 1], b' ' | b'\t') && p - end < 4 {
        end -= 1;
    }
    while end > 0 && matches!(bytes[end - 1], b'"' | b'\'' | b'\\') && p - end < 40 {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && name_byte(bytes[start - 1]) && end - start < MAX_NAME {
        start -= 1;
    }
    // `start..end` holds ASCII name bytes only, so it is on char boundaries.
    let name = std::str::from_utf8(&bytes[start..end]).ok()?;
    if name.is_empty() || !redactor.is_sensitive(name) {
        return None;
    }
    let mut v = value_at;
    while v < bytes.len() && matches!(bytes[v], b' ' | b'\t') {
        v += 1;
    }
    Some(value_range(bytes, v).unwrap_or((v, v)))
}

/// What to mask of the value starting at `v`: the inside of a quoted string (at any
/// level of backslash escaping), a bracketed group, `Ident(..)` / `Ident { .. }`, the
/// token after an authorization scheme, or a bare token.
fn value_range(bytes: &[u8], v: usize) -> Option<(usize, usize)> {
    let escapes = bytes[v..].iter().take_while(|&&b| b == b'\\').count();
    match bytes.get(v + escapes)? {
        &q @ (b'"' | b'\'') => {
            let content = v + escapes + 1;
            let end = closing_quote(bytes, content, q, escapes).map_or(bytes.len(), |e| e);
            return Some((content, end));
        }
        b'{' | b'[' | b'(' if escapes == 0 => return Some((v, group_end(bytes, v))),
        _ => {}
    }
    let e = bare_end(bytes, v);
    if e == v {
        return None;
    }
    let mut after = e;
    while after < bytes.len() && bytes[after] == b' ' {
        after += 1;
    }
    let word = &bytes[v..e];
    let ident = word.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if (ident || after == e) && matches!(bytes.get(after), Some(b'(' | b'{' | b'[')) {
        return Some((v, group_end(bytes, after)));
    }
    if ident {
        let scheme = SCHEMES
            .iter()
            .any(|s| s.as_bytes().eq_ignore_ascii_case(word));
        if scheme && after == e + 1 {
            let token_end = bare_end(bytes, after);
            if token_end > after {
                return Some((after, token_end));
            }
        }
    }
    Some((v, e))
}

/// The end of a bare value: the first blank, separator or bracket.
fn bare_end(bytes: &[u8], v: usize) -> usize {
    let mut e = v;
    while e < bytes.len() {
        match bytes[e] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b';' | b'&' | b'(' | b')' | b'[' | b']'
            | b'{' | b'}' | b'"' | b'\'' | b'<' | b'>' => break,
            b'\\' if matches!(bytes.get(e + 1), Some(b'"' | b'\'')) => break,
            _ => e += 1,
        }
    }
    e
}

/// The index of the backslashes closing a string opened by `escapes` backslashes and
/// `quote`, or `None` when it is not closed.
///
/// A string escaped `n` times opens with `2^n - 1` backslashes; a quote inside it has
/// more, and the closing quote is the one whose run of backslashes `r` satisfies
/// `r mod 2^(n+1) = 2^n - 1` (for plain text, an even run: `"a\\"` closes, `"a\"` does
/// not).
fn closing_quote(bytes: &[u8], from: usize, quote: u8, escapes: usize) -> Option<usize> {
    let period = if (escapes + 1).is_power_of_two() {
        2 * (escapes + 1)
    } else {
        usize::MAX
    };
    let mut i = from;
    while let Some(off) = memchr::memchr(quote, &bytes[i..]) {
        let q = i + off;
        let run = bytes[from..q]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if run % period == escapes {
            return Some(q - escapes);
        }
        i = q + 1;
    }
    None
}

/// The end (exclusive) of the bracketed group opening at `open`, skipping quoted
/// strings; the end of the text when it is not closed.
fn group_end(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0_usize;
    let mut quoted: Option<u8> = None;
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        match quoted {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quoted = None;
                }
            }
            None => match b {
                b'"' => quoted = Some(b),
                b'{' | b'[' | b'(' => depth += 1,
                b'}' | b']' | b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    bytes.len()
}

/// `scheme://user:password@host`: the password's range, from just after `//`.
fn url_password(bytes: &[u8], from: usize) -> Option<(usize, usize)> {
    let end = from
        + bytes[from..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || b"/?#@\"'<>".contains(b))?;
    if bytes[end] != b'@' {
        return None;
    }
    let colon = from + memchr::memchr(b':', &bytes[from..end])?;
    Some((colon + 1, end))
}

fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b)
}

/// `Bearer <token>` anywhere: the token when it looks like one (8 or more token bytes,
/// at least one a digit or punctuation, so English after "bearer" stays).
fn bare_bearer(bytes: &[u8], after: usize) -> Option<(usize, usize)> {
    if bytes.get(after) != Some(&b' ') {
        return None;
    }
    let start = after + 1;
    let len = bytes[start..]
        .iter()
        .take_while(|&&b| token_byte(b))
        .count();
    let token = &bytes[start..start + len];
    (len >= 8 && token.iter().any(|b| !b.is_ascii_alphabetic())).then_some((start, start + len))
}

/// A JWT (`eyJ<header>.<payload>[.<signature>]`) starting at `start`.
fn jwt(bytes: &[u8], start: usize) -> Option<(usize, usize)> {
    let b64 = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
    let len = bytes[start..]
        .iter()
        .take_while(|b| b64(b) || **b == b'.')
        .count();
    let token = &bytes[start..start + len];
    (len >= 16 && token.contains(&b'.')).then_some((start, start + len))
}

#[cfg(test)]
mod tests {
    use crate::log::Redactor;

    fn masked(text: &str) -> String {
        Redactor::default().mask_text(text).into_owned()
    }

    #[test]
    fn masks_pairs_in_every_notation() {
        for (input, expected) in [
            ("password=hunter2", "password=***REDACTED***"),
            ("password = hunter2 next", "password = ***REDACTED*** next"),
            (
                "?user=ann&api_key=k1&x=2",
                "?user=ann&api_key=***REDACTED***&x=2",
            ),
            (
                "api_key: k1, user: ann",
                "api_key: ***REDACTED***, user: ann",
            ),
            (
                r#"{"token":"t-1","a":1}"#,
                r#"{"token":"***REDACTED***","a":1}"#,
            ),
            (r#"{"token": 12345}"#, r#"{"token": ***REDACTED***}"#),
            (
                r#"password="hunter 2" ok"#,
                r#"password="***REDACTED***" ok"#,
            ),
            (
                r#"Config { password: "hunter2", port: 1 }"#,
                r#"Config { password: "***REDACTED***", port: 1 }"#,
            ),
            (
                r#"Object {"apiKey": String("k1")}"#,
                r#"Object {"apiKey": ***REDACTED***}"#,
            ),
            (
                r#"Cfg { secret: Some("s") }"#,
                r#"Cfg { secret: ***REDACTED*** }"#,
            ),
            (
                r#"Cfg { secret: Secret { inner: "s" } }"#,
                r#"Cfg { secret: ***REDACTED*** }"#,
            ),
            (
                r#""password" => "hunter2""#,
                r#""password" => "***REDACTED***""#,
            ),
            (
                "Authorization: Bearer abc.def",
                "Authorization: Bearer ***REDACTED***",
            ),
            (
                "authorization=Basic dXNlcjpwYXNz",
                "authorization=Basic ***REDACTED***",
            ),
            (
                "x-api-key: k1\r\nhost: a",
                "x-api-key: ***REDACTED***\r\nhost: a",
            ),
            (
                r#"{\"password\":\"hunter2\"}"#,
                r#"{\"password\":\"***REDACTED***\"}"#,
            ),
            (r#"password: "a\"b" x"#, r#"password: "***REDACTED***" x"#),
            ("password: \"unterminated", "password: \"***REDACTED***"),
            ("pwd=a-1(b c) next", "pwd=***REDACTED*** next"),
            (
                "failed: Bearer abc123def456",
                "failed: Bearer ***REDACTED***",
            ),
            (
                "jwt eyJhbGciOi.eyJzdWIiOi.sig end",
                "jwt ***REDACTED*** end",
            ),
            (
                "postgres://app:hunter2@db:5432/x",
                "postgres://app:***REDACTED***@db:5432/x",
            ),
        ] {
            assert_eq!(masked(input), expected, "{input}");
        }
    }

    #[test]
    fn masks_strings_escaped_any_number_of_times() {
        let mut text = r#"{"password":"s3cr3t\"x","user":"ann"}"#.to_owned();
        for level in 0..5 {
            let out = masked(&text);
            assert!(!out.contains("s3cr3t"), "level {level}: {out}");
            assert!(
                out.contains("ann") && out.contains("REDACTED"),
                "level {level}: {out}"
            );
            text = serde_json::to_string(&text).unwrap();
        }
    }

    #[test]
    fn leaves_clean_text_alone() {
        for input in [
            "GET /home 200",
            "connect: connection refused",
            "a == b, c != d, e <= f",
            "std::io::Error at 12:30:45",
            "session_id=abc-def user_id=7",
            "the bearer of this card",
            "https://example.com:8443/path?q=1",
            "password",
            "password=",
        ] {
            assert_eq!(masked(input), input, "{input}");
        }
    }
}
