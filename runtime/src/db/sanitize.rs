//! Statement sanitising: a single-pass tokenizer that masks literals; see [`Dialect`].

use std::fmt::Write as _;

/// The SQL dialect a statement is read in: which quotes start a literal, which escapes and
/// comments exist.
///
/// Sanitising is a small single-pass tokenizer (no regex) that masks literals, reading
/// quotes, escapes and comments the way the statement's database does. What it does to a
/// statement:
/// - string literals (`'it''s'`, `E'a\'b'`, `N'x'`), blobs and bit strings (`X'0A'`,
///   `B'01'`), numbers (`42`, `-1.5e3` keeps its sign operator, `0x1F`) and dollar-quoted
///   bodies (`$$..$$`, `$tag$..$tag$`) become `?`;
/// - `IN (1, 'a', ?2)` lists of literals or placeholders collapse to `IN (?)` (a subquery
///   stays as it is);
/// - comments are dropped, because people put data in them;
/// - runs of whitespace become one space;
/// - identifiers (`users`, `"Order"`, `` `t` ``, `[t]`, `café`), keywords, operators and
///   placeholders (`?`, `?1`, `$1`, `:name`, `@name`) are kept.
///
/// What counts as a literal, an escape or a comment depends on the dialect:
///
/// | dialect | strings | `"…"` | comments | also |
/// |---|---|---|---|---|
/// | [`PostgreSql`](Dialect::PostgreSql) | `'…'` (`''`), `E'…'` (`\'`), `U&'…'`, `$tag$…$tag$` | identifier | `--`, nested `/* */` | |
/// | [`MySql`](Dialect::MySql) | `'…'`, `"…"` (both with `\'` and `''`) | literal | `-- ` (dash dash space), `#`, `/* */` | `` `ident` `` |
/// | [`Sqlite`](Dialect::Sqlite) | `'…'` | literal (SQLite reads an unresolved `"…"` as a string) | `--`, `/* */` | `[ident]`, `` `ident` `` |
/// | [`MsSql`](Dialect::MsSql) | `'…'`, `N'…'` | identifier | `--`, nested `/* */` | `[ident]`, `$1.50` money |
/// | [`Generic`](Dialect::Generic) | all of the above | literal | all of the above | |
///
/// [`Generic`](Dialect::Generic) is the safe superset for a database it does not know:
/// where two dialects read the same text differently (a `\'` in a string, a quote inside a
/// `#` comment or in `[…]`, a nested `/*`), the whole statement is masked.
///
/// A statement it cannot tokenize (an unterminated quote, comment or dollar quote, or an
/// ambiguous one) is never returned raw: it becomes `?` with its length instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// PostgreSQL.
    PostgreSql,
    /// MySQL and MariaDB.
    MySql,
    /// SQLite.
    Sqlite,
    /// Microsoft SQL Server.
    MsSql,
    /// Any other database: the safe superset of the others.
    #[default]
    Generic,
}

impl Dialect {
    /// The dialect of an OpenTelemetry `db.system.name` (case-insensitive): `postgresql`;
    /// `mysql` or `mariadb`; `sqlite`; `mssql` or `microsoft.sql_server`; anything else is
    /// [`Generic`](Dialect::Generic).
    ///
    /// ```
    /// use memotrace::db::Dialect;
    /// assert_eq!(Dialect::from_system("mariadb"), Dialect::MySql);
    /// assert_eq!(Dialect::from_system("oracle"), Dialect::Generic);
    /// ```
    #[must_use]
    pub fn from_system(system: &str) -> Self {
        let is = |names: &[&str]| names.iter().any(|n| system.eq_ignore_ascii_case(n));
        if is(&["postgresql"]) {
            Self::PostgreSql
        } else if is(&["mysql", "mariadb"]) {
            Self::MySql
        } else if is(&["sqlite"]) {
            Self::Sqlite
        } else if is(&["mssql", "microsoft.sql_server"]) {
            Self::MsSql
        } else {
            Self::Generic
        }
    }

    /// Masks the literals of `statement` read in this dialect; see [`Dialect`].
    ///
    /// ```
    /// use memotrace::db::Dialect;
    /// assert_eq!(
    ///     Dialect::MySql.sanitize(r#"SELECT id FROM users WHERE name = 'O\'Brien' OR email = "a@b.c" # x"#),
    ///     "SELECT id FROM users WHERE name = ? OR email = ?"
    /// );
    /// assert_eq!(
    ///     Dialect::PostgreSql.sanitize("SELECT 1 /* a /* b */ secret */ FROM t"),
    ///     "SELECT ? FROM t"
    /// );
    /// ```
    #[must_use]
    pub fn sanitize(self, statement: &str) -> String {
        self.sanitize_limited(statement, usize::MAX)
    }

    /// [`sanitize`](Self::sanitize), cut to at most `max_chars` characters.
    ///
    /// Stops tokenizing once enough output is produced, so a 1 MB bulk `INSERT` costs what
    /// its first few kilobytes cost.
    ///
    /// ```
    /// use memotrace::db::Dialect;
    /// assert_eq!(Dialect::Sqlite.sanitize_limited("SELECT 1, 2, 3", 9), "SELECT ?,");
    /// ```
    #[must_use]
    pub fn sanitize_limited(self, statement: &str, max_chars: usize) -> String {
        let mut out = String::with_capacity(statement.len().min(max_chars.saturating_mul(4)));
        if sanitize_into(statement, self, &mut out, max_chars.saturating_mul(4)).is_ok() {
            truncate_chars(&mut out, max_chars);
            out
        } else {
            untokenizable(statement.len())
        }
    }
}

/// Masks the literals of `statement` read as [`Dialect::Generic`] (when the database is
/// not known: the safe superset); see [`Dialect`].
///
/// ```
/// use memotrace::db::sanitize;
/// assert_eq!(
///     sanitize("SELECT * FROM users WHERE email = 'a@b.c' AND id IN (1, 2, 3) -- hi"),
///     "SELECT * FROM users WHERE email = ? AND id IN (?)"
/// );
/// assert_eq!(sanitize("SELECT 'oops"), "? (not tokenizable, 12 bytes)");
/// assert_eq!(sanitize(r"SELECT 'a\' FROM t"), "? (not tokenizable, 18 bytes)");
/// ```
#[must_use]
pub fn sanitize(statement: &str) -> String {
    Dialect::Generic.sanitize(statement)
}

/// What a statement that cannot be tokenized is logged as.
pub(crate) fn untokenizable(len: usize) -> String {
    let mut out = String::new();
    let _ = write!(out, "? (not tokenizable, {len} bytes)");
    out
}

/// Cuts `text` to at most `max_chars` characters, on a character boundary.
pub(crate) fn truncate_chars(text: &mut String, max_chars: usize) {
    if text.len() <= max_chars {
        return;
    }
    if let Some((idx, _)) = text.char_indices().nth(max_chars) {
        text.truncate(idx);
    }
}

/// A statement that cannot be tokenized: a quote, comment or dollar quote never closed,
/// or (in [`Dialect::Generic`]) text that dialects read differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Untokenizable;

/// Appends the sanitised form of `statement` to `out`, stopping once `out` holds at least
/// `max_bytes` bytes. `Ok(true)` when the whole statement was read, `Ok(false)` when it
/// stopped early; on error `out` holds a partial result the caller must discard.
pub(crate) fn sanitize_into(
    statement: &str,
    dialect: Dialect,
    out: &mut String,
    max_bytes: usize,
) -> Result<bool, Untokenizable> {
    let s = statement;
    let b = s.as_bytes();
    let lx = Lexer { b, d: dialect };
    let n = b.len();
    let mut i = 0;
    // Input kept as it is is copied in runs: `b[run..i]` is pending.
    let mut run = 0;
    let mut pending_space = false;
    // The last token was the keyword `IN`: a following `(` may start a literal list.
    let mut after_in = false;
    // Flushes the pending run, then writes `replacement`, and restarts the run at `next`.
    macro_rules! replace {
        ($replacement:expr, $next:expr) => {{
            out.push_str(&s[run..i]);
            out.push_str($replacement);
            i = $next;
            run = i;
        }};
    }
    while i < n {
        if out.len() + (i - run) >= max_bytes {
            out.push_str(&s[run..i]);
            return Ok(false);
        }
        let c = b[i];
        if is_space(c) {
            // One plain space between tokens is kept in the run; anything else collapses.
            if c == b' ' && i > 0 && !pending_space && i + 1 < n && !is_space(b[i + 1]) {
                i += 1;
                continue;
            }
            out.push_str(&s[run..i]);
            while i < n && is_space(b[i]) {
                i += 1;
            }
            run = i;
            pending_space = true;
            continue;
        }
        if let Some(end) = lx.comment_end(i)? {
            out.push_str(&s[run..i]);
            i = end;
            run = i;
            pending_space = true;
            continue;
        }
        if pending_space {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            pending_space = false;
        }
        let was_after_in = after_in;
        after_in = false;
        if let Some(end) = lx.literal_end(i)? {
            replace!("?", end);
            continue;
        }
        match c {
            // `"` reaches here only where it quotes an identifier.
            b'"' | b'`' => i = quoted_ident_end(b, i, c)?,
            b'[' => i = lx.bracket_end(i)?,
            // `$1` or `$name`: a placeholder, kept.
            b'$' => i = word_end(b, i + 1),
            b'?' => {
                i += 1;
                while i < n && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            b':' | b'@' if i + 1 < n && is_ident_start(b[i + 1]) => i = word_end(b, i + 1),
            b'(' if was_after_in => {
                if let Some(end) = lx.literal_list_end(i + 1) {
                    replace!("(?)", end);
                } else {
                    i += 1;
                }
            }
            c if is_ident_start(c) => {
                let end = word_end(b, i);
                after_in = end - i == 2 && b[i..end].eq_ignore_ascii_case(b"in");
                i = end;
            }
            // ASCII punctuation (bytes >= 0x80 are identifier characters).
            _ => i += 1,
        }
    }
    out.push_str(&s[run..i]);
    if out.ends_with(' ') {
        out.pop();
    }
    Ok(true)
}

/// How a quoted literal escapes its quote.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escapes {
    /// Only by doubling it (`'it''s'`).
    Doubling,
    /// By doubling it or with a backslash (`'it\'s'`), and `\\` is a backslash.
    Backslash,
    /// Dialects disagree on `\'`: read as [`Escapes::Backslash`], but a backslash before
    /// the quote makes the statement untokenizable.
    Ambiguous,
}

/// The dialect-dependent part of the tokenizer.
struct Lexer<'a> {
    b: &'a [u8],
    d: Dialect,
}

impl Lexer<'_> {
    /// How `'…'` (or `E'…'` when `e_prefix`) escapes its quote.
    fn escapes(&self, e_prefix: bool) -> Escapes {
        match self.d {
            Dialect::PostgreSql if e_prefix => Escapes::Backslash,
            Dialect::PostgreSql | Dialect::Sqlite | Dialect::MsSql => Escapes::Doubling,
            Dialect::MySql => Escapes::Backslash,
            Dialect::Generic => Escapes::Ambiguous,
        }
    }

    /// The end of the comment starting at `i`, or `None` when no comment starts there.
    fn comment_end(&self, i: usize) -> Result<Option<usize>, Untokenizable> {
        let b = self.b;
        let next = b.get(i + 1).copied();
        match (b[i], self.d) {
            (b'-', d) if next == Some(b'-') => {
                // MySQL: `--` starts a comment only before whitespace or a control character.
                let spaced = b.get(i + 2).is_none_or(|&c| c <= b' ');
                match d {
                    Dialect::MySql if !spaced => Ok(None),
                    Dialect::Generic if !spaced => self.line_comment_end(i, true).map(Some),
                    _ => self.line_comment_end(i, false).map(Some),
                }
            }
            (b'#', Dialect::MySql) => self.line_comment_end(i, false).map(Some),
            (b'#', Dialect::Generic) => self.line_comment_end(i, true).map(Some),
            (b'/', _) if next == Some(b'*') => self.block_comment_end(i).map(Some),
            _ => Ok(None),
        }
    }

    /// The end of a comment running to the end of the line; when `ambiguous` (another
    /// dialect reads it as code), a quote in it makes the statement untokenizable.
    fn line_comment_end(&self, start: usize, ambiguous: bool) -> Result<usize, Untokenizable> {
        let end = memchr_nl(self.b, start);
        if ambiguous
            && self.b[start..end]
                .iter()
                .any(|c| matches!(c, b'\'' | b'"' | b'`'))
        {
            return Err(Untokenizable);
        }
        Ok(end)
    }

    /// PostgreSQL and SQL Server nest block comments; MySQL and SQLite end one at the first
    /// `*/`; [`Dialect::Generic`] refuses a nested `/*`.
    fn block_comment_end(&self, start: usize) -> Result<usize, Untokenizable> {
        let b = self.b;
        let nests = matches!(self.d, Dialect::PostgreSql | Dialect::MsSql);
        let mut depth = 1usize;
        let mut i = start + 2;
        while i + 1 < b.len() {
            match (b[i], b[i + 1]) {
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                (b'/', b'*') if nests => {
                    depth += 1;
                    i += 2;
                }
                (b'/', b'*') if self.d == Dialect::Generic => return Err(Untokenizable),
                _ => i += 1,
            }
        }
        Err(Untokenizable)
    }

    /// The end of the literal starting at `i` (a string, a prefixed string, a number, a
    /// dollar-quoted body, a money amount), or `None` when no literal starts there.
    fn literal_end(&self, i: usize) -> Result<Option<usize>, Untokenizable> {
        let b = self.b;
        let next = b.get(i + 1).copied();
        let end = match b[i] {
            b'\'' => quoted_literal_end(b, i, b'\'', self.escapes(false))?,
            b'"' if !matches!(self.d, Dialect::PostgreSql | Dialect::MsSql) => {
                quoted_literal_end(b, i, b'"', self.escapes(false))?
            }
            b'0'..=b'9' => number_end(b, i),
            b'.' if next.is_some_and(|c| c.is_ascii_digit()) && !(i > 0 && is_ident(b[i - 1])) => {
                number_end(b, i)
            }
            b'$' => match self.d {
                Dialect::PostgreSql => return dollar_quote_end(b, i),
                Dialect::Generic => match dollar_quote_end(b, i)? {
                    Some(end) => end,
                    // `$1` is a placeholder in PostgreSQL, an amount of money in SQL Server.
                    None if next.is_some_and(|c| c.is_ascii_digit()) => number_end(b, i + 1),
                    None => return Ok(None),
                },
                Dialect::MsSql if next.is_some_and(|c| c.is_ascii_digit() || c == b'.') => {
                    number_end(b, i + 1)
                }
                _ => return Ok(None),
            },
            // `X'0A'`, `N'..'`, `E'..'`, `B'01'`: prefixed literals.
            c @ (b'x' | b'X' | b'n' | b'N' | b'b' | b'B' | b'e' | b'E') if next == Some(b'\'') => {
                quoted_literal_end(b, i + 1, b'\'', self.escapes(matches!(c, b'e' | b'E')))?
            }
            _ => return Ok(None),
        };
        Ok(Some(end))
    }

    /// The end of the `[` token at `i`: a whole `[identifier]` in SQL Server and SQLite,
    /// else the bracket alone. [`Dialect::Generic`] refuses a `[…]` holding an odd number
    /// of quotes (an identifier to one dialect, the start of a literal to another).
    fn bracket_end(&self, i: usize) -> Result<usize, Untokenizable> {
        let b = self.b;
        match self.d {
            Dialect::MsSql => quoted_ident_end(b, i, b']'),
            Dialect::Sqlite => b[i + 1..]
                .iter()
                .position(|&c| c == b']')
                .map(|p| i + 1 + p + 1)
                .ok_or(Untokenizable),
            Dialect::Generic => {
                let inner = &b[i + 1..];
                let inner = &inner[..inner
                    .iter()
                    .position(|&c| c == b']' || c == b'[')
                    .unwrap_or(inner.len())];
                let odd = |q: u8| inner.iter().filter(|&&c| c == q).count() % 2 == 1;
                if odd(b'\'') || odd(b'"') {
                    return Err(Untokenizable);
                }
                Ok(i + 1)
            }
            Dialect::PostgreSql | Dialect::MySql => Ok(i + 1),
        }
    }

    /// When the text after an `IN (` is a comma-separated list of literals or placeholders
    /// closed by `)`, the index after the `)`.
    fn literal_list_end(&self, mut i: usize) -> Option<usize> {
        let b = self.b;
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
            i = match self.literal_end(i).ok()? {
                Some(end) => end,
                None => match c {
                    b'?' => {
                        let mut e = i + 1;
                        while e < n && b[e].is_ascii_digit() {
                            e += 1;
                        }
                        e
                    }
                    b'$' => word_end(b, i + 1),
                    b':' | b'@' if i + 1 < n && is_ident_start(b[i + 1]) => word_end(b, i + 1),
                    _ if is_ident_start(c) => {
                        let e = word_end(b, i);
                        let w = &b[i..e];
                        if !["null", "true", "false"]
                            .iter()
                            .any(|k| w.eq_ignore_ascii_case(k.as_bytes()))
                        {
                            return None;
                        }
                        e
                    }
                    _ => return None,
                },
            };
            i = skip_ws(i);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b')') => return Some(i + 1),
                _ => return None,
            }
        }
    }
}

/// End (exclusive) of the literal quoted by `quote` whose opening quote is at `start`.
fn quoted_literal_end(
    b: &[u8],
    start: usize,
    quote: u8,
    escapes: Escapes,
) -> Result<usize, Untokenizable> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if escapes != Escapes::Doubling => {
                if escapes == Escapes::Ambiguous && b.get(i + 1) == Some(&quote) {
                    return Err(Untokenizable);
                }
                i += 2;
            }
            c if c == quote && b.get(i + 1) == Some(&quote) => i += 2,
            c if c == quote => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(Untokenizable)
}

/// End (exclusive) of the quoted identifier opening at `start` and closed by `close`
/// (doubled, `close` stands for itself).
fn quoted_ident_end(b: &[u8], start: usize, close: u8) -> Result<usize, Untokenizable> {
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == close {
            if b.get(i + 1) == Some(&close) {
                i += 2;
                continue;
            }
            return Ok(i + 1);
        }
        i += 1;
    }
    Err(Untokenizable)
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
    Err(Untokenizable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let g = Dialect::Generic;
        assert_eq!(
            g.sanitize("SELECT a FROM t WHERE b = 'x' AND c = 3.5e2"),
            "SELECT a FROM t WHERE b = ? AND c = ?"
        );
        assert_eq!(g.sanitize("select t1.c2 from t1"), "select t1.c2 from t1");
        assert_eq!(
            g.sanitize("x IN (SELECT id FROM t WHERE v = 1)"),
            "x IN (SELECT id FROM t WHERE v = ?)"
        );
        assert_eq!(
            g.sanitize("SELECT 'it''s', 'a"),
            "? (not tokenizable, 18 bytes)"
        );
        assert_eq!(g.sanitize_limited("SELECT 'é', 'ü' , x", 10), "SELECT ?, ");
    }
}
