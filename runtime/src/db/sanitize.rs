//! Statement sanitising: a small single-pass tokenizer (no regex) that masks literals.
//!
//! What it does to a statement:
//! - string literals (`'it''s'`, `E'a\'b'`, `N'x'`), blobs and bit strings (`X'0A'`,
//!   `B'01'`), numbers (`42`, `-1.5e3` keeps its sign operator, `0x1F`) and dollar-quoted
//!   bodies (`$$..$$`, `$tag$..$tag$`) become `?`;
//! - `IN (1, 'a', ?2)` lists of literals or placeholders collapse to `IN (?)` (a subquery
//!   stays as it is);
//! - comments (`-- ...`, `/* ... */`) are dropped, because people put data in them;
//! - runs of whitespace become one space;
//! - identifiers (`users`, `"Order"`, `` `t` ``, `café`), keywords, operators and
//!   placeholders (`?`, `?1`, `$1`, `:name`, `@name`) are kept.
//!
//! A statement it cannot tokenize (an unterminated quote, comment or dollar quote) is never
//! returned raw: [`sanitize`] gives `?` with its length instead.

use std::fmt::Write as _;

/// Why a statement could not be tokenized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Untokenizable {
    /// Byte offset of the token that never ends.
    pub at: usize,
}

/// Masks the literals of `statement`; see the [module docs](self).
///
/// ```
/// use memotrace::db::sanitize;
/// assert_eq!(
///     sanitize("SELECT * FROM users WHERE email = 'a@b.c' AND id IN (1, 2, 3) -- hi"),
///     "SELECT * FROM users WHERE email = ? AND id IN (?)"
/// );
/// assert_eq!(sanitize("SELECT 'oops"), "? (not tokenizable, 12 bytes)");
/// ```
#[must_use]
pub fn sanitize(statement: &str) -> String {
    sanitize_limited(statement, usize::MAX)
}

/// [`sanitize`], cut to at most `max_chars` characters.
///
/// Stops tokenizing once enough output is produced, so a 1 MB bulk `INSERT` costs what its
/// first few kilobytes cost.
///
/// ```
/// use memotrace::db::sanitize::sanitize_limited;
/// assert_eq!(sanitize_limited("SELECT 1, 2, 3", 9), "SELECT ?,");
/// ```
#[must_use]
pub fn sanitize_limited(statement: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(statement.len().min(max_chars.saturating_mul(4)));
    match sanitize_into(statement, &mut out, max_chars.saturating_mul(4)) {
        Ok(()) => {
            truncate_chars(&mut out, max_chars);
            out
        }
        Err(_) => {
            out.clear();
            let _ = write!(out, "? (not tokenizable, {} bytes)", statement.len());
            out
        }
    }
}

/// Cuts `text` to at most `max_chars` characters, on a character boundary.
///
/// ```
/// let mut s = String::from("héllo");
/// memotrace::db::sanitize::truncate_chars(&mut s, 2);
/// assert_eq!(s, "hé");
/// ```
pub fn truncate_chars(text: &mut String, max_chars: usize) {
    if text.len() <= max_chars {
        return;
    }
    if let Some((idx, _)) = text.char_indices().nth(max_chars) {
        text.truncate(idx);
    }
}

/// Appends the sanitised form of `statement` to `out`, stopping once `out` holds at least
/// `max_bytes` bytes; on error `out` holds a partial result the caller must discard.
///
/// # Errors
/// [`Untokenizable`] when a quote, comment or dollar quote is never closed.
pub fn sanitize_into(
    statement: &str,
    out: &mut String,
    max_bytes: usize,
) -> Result<(), Untokenizable> {
    let s = statement;
    let b = s.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut pending_space = false;
    // The last token was the keyword `IN`: a following `(` may start a literal list.
    let mut after_in = false;
    while i < n {
        if out.len() >= max_bytes {
            return Ok(());
        }
        let c = b[i];
        if is_space(c) {
            i += 1;
            while i < n && is_space(b[i]) {
                i += 1;
            }
            pending_space = true;
            continue;
        }
        if c == b'-' && i + 1 < n && b[i + 1] == b'-' {
            i = memchr_nl(b, i + 2);
            pending_space = true;
            continue;
        }
        if c == b'/' && i + 1 < n && b[i + 1] == b'*' {
            i = block_comment_end(b, i)?;
            pending_space = true;
            continue;
        }
        if pending_space {
            if !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
        }
        let was_after_in = after_in;
        after_in = false;
        match c {
            b'\'' => {
                i = string_end(b, i, false)?;
                out.push('?');
            }
            b'"' | b'`' => {
                let end = quoted_ident_end(b, i, c)?;
                out.push_str(&s[i..end]);
                i = end;
            }
            b'0'..=b'9' => {
                i = number_end(b, i);
                out.push('?');
            }
            b'.' if i + 1 < n
                && b[i + 1].is_ascii_digit()
                && !out.as_bytes().last().is_some_and(|&l| is_ident(l)) =>
            {
                i = number_end(b, i);
                out.push('?');
            }
            b'$' => {
                if let Some(end) = dollar_quote_end(b, i)? {
                    i = end;
                    out.push('?');
                } else {
                    // `$1` or `$name`: a placeholder, kept.
                    let end = word_end(b, i + 1);
                    out.push_str(&s[i..end]);
                    i = end;
                }
            }
            b'?' => {
                let mut end = i + 1;
                while end < n && b[end].is_ascii_digit() {
                    end += 1;
                }
                out.push_str(&s[i..end]);
                i = end;
            }
            b':' | b'@' if i + 1 < n && is_ident_start(b[i + 1]) => {
                let end = word_end(b, i + 1);
                out.push_str(&s[i..end]);
                i = end;
            }
            b'(' if was_after_in => {
                if let Some(end) = literal_list_end(b, i + 1) {
                    out.push_str("(?)");
                    i = end;
                } else {
                    out.push('(');
                    i += 1;
                }
            }
            c if is_ident_start(c) => {
                // `X'0A'`, `N'..'`, `E'..'`, `B'01'`: prefixed literals.
                if i + 1 < n
                    && b[i + 1] == b'\''
                    && matches!(c, b'x' | b'X' | b'n' | b'N' | b'b' | b'B' | b'e' | b'E')
                {
                    i = string_end(b, i + 1, matches!(c, b'e' | b'E'))?;
                    out.push('?');
                    continue;
                }
                let end = word_end(b, i);
                let word = &s[i..end];
                after_in = word.eq_ignore_ascii_case("in");
                out.push_str(word);
                i = end;
            }
            _ => {
                // ASCII punctuation (bytes >= 0x80 are identifier characters).
                out.push(c as char);
                i += 1;
            }
        }
    }
    Ok(())
}

const fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

const fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

const fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_ident(b[i]) {
        i += 1;
    }
    i
}

fn memchr_nl(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p + 1)
}

fn block_comment_end(b: &[u8], start: usize) -> Result<usize, Untokenizable> {
    let mut i = start + 2;
    while i + 1 < b.len() {
        if b[i] == b'*' && b[i + 1] == b'/' {
            return Ok(i + 2);
        }
        i += 1;
    }
    Err(Untokenizable { at: start })
}

/// End (exclusive) of the string literal whose opening quote is at `start`; `''` is an
/// escaped quote, and so is `\'` when `backslash` (Postgres `E'..'`).
fn string_end(b: &[u8], start: usize, backslash: bool) -> Result<usize, Untokenizable> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if backslash => i += 2,
            b'\'' if i + 1 < b.len() && b[i + 1] == b'\'' => i += 2,
            b'\'' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(Untokenizable { at: start })
}

fn quoted_ident_end(b: &[u8], start: usize, quote: u8) -> Result<usize, Untokenizable> {
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == quote {
            if i + 1 < b.len() && b[i + 1] == quote {
                i += 2;
                continue;
            }
            return Ok(i + 1);
        }
        i += 1;
    }
    Err(Untokenizable { at: start })
}

fn number_end(b: &[u8], start: usize) -> usize {
    let n = b.len();
    let mut i = start;
    if b[i] == b'0' && i + 1 < n && (b[i + 1] == b'x' || b[i + 1] == b'X') {
        i += 2;
        while i < n && b[i].is_ascii_hexdigit() {
            i += 1;
        }
        return i;
    }
    while i < n && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    if i < n && b[i] == b'.' {
        i += 1;
        while i < n && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < n && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < n && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < n && b[j].is_ascii_digit() {
            i = j;
            while i < n && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    // `1abc` is not SQL; swallow the rest of the word so no digit leaks.
    word_end(b, i)
}

/// `$$..$$` or `$tag$..$tag$` starting at `start`: `Ok(Some(end))`, `Ok(None)` when the
/// `$` starts a placeholder instead, an error when the body never closes.
fn dollar_quote_end(b: &[u8], start: usize) -> Result<Option<usize>, Untokenizable> {
    let n = b.len();
    let mut i = start + 1;
    if i < n && b[i].is_ascii_digit() {
        return Ok(None);
    }
    while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
        i += 1;
    }
    if i >= n || b[i] != b'$' {
        return Ok(None);
    }
    let tag = &b[start..=i];
    let body = i + 1;
    let mut j = body;
    while j + tag.len() <= n {
        if b[j] == b'$' && &b[j..j + tag.len()] == tag {
            return Ok(Some(j + tag.len()));
        }
        j += 1;
    }
    Err(Untokenizable { at: start })
}

/// When the text after an `IN (` is a comma-separated list of literals or placeholders
/// closed by `)`, the index after the `)`.
fn literal_list_end(b: &[u8], mut i: usize) -> Option<usize> {
    let n = b.len();
    let skip_ws = |mut i: usize| {
        while i < n && is_space(b[i]) {
            i += 1;
        }
        i
    };
    loop {
        i = skip_ws(i);
        if i < n && (b[i] == b'-' || b[i] == b'+') {
            i = skip_ws(i + 1);
        }
        if i >= n {
            return None;
        }
        let c = b[i];
        i = match c {
            b'\'' => string_end(b, i, false).ok()?,
            b'0'..=b'9' => number_end(b, i),
            b'.' if i + 1 < n && b[i + 1].is_ascii_digit() => number_end(b, i),
            b'?' => {
                let mut e = i + 1;
                while e < n && b[e].is_ascii_digit() {
                    e += 1;
                }
                e
            }
            b'$' => match dollar_quote_end(b, i).ok()? {
                Some(end) => end,
                None => word_end(b, i + 1),
            },
            b':' | b'@' if i + 1 < n && is_ident_start(b[i + 1]) => word_end(b, i + 1),
            b'x' | b'X' | b'n' | b'N' | b'b' | b'B' | b'e' | b'E'
                if i + 1 < n && b[i + 1] == b'\'' =>
            {
                string_end(b, i + 1, matches!(c, b'e' | b'E')).ok()?
            }
            _ if is_ident_start(c) => {
                let e = word_end(b, i);
                let w = &b[i..e];
                if !(w.eq_ignore_ascii_case(b"null")
                    || w.eq_ignore_ascii_case(b"true")
                    || w.eq_ignore_ascii_case(b"false"))
                {
                    return None;
                }
                e
            }
            _ => return None,
        };
        i = skip_ws(i);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b')') => return Some(i + 1),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(
            sanitize("SELECT a FROM t WHERE b = 'x' AND c = 3.5e2"),
            "SELECT a FROM t WHERE b = ? AND c = ?"
        );
        assert_eq!(sanitize("select t1.c2 from t1"), "select t1.c2 from t1");
        assert_eq!(
            sanitize("x IN (SELECT id FROM t WHERE v = 1)"),
            "x IN (SELECT id FROM t WHERE v = ?)"
        );
        assert_eq!(
            sanitize("SELECT 'it''s', 'a"),
            "? (not tokenizable, 18 bytes)"
        );
        assert_eq!(sanitize_limited("SELECT 'é', 'ü' , x", 10), "SELECT ?, ");
    }
}
