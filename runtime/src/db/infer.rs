//! Infers `db.operation.name` and `db.collection.name` from a statement.
//!
//! Inference reads the statement's sanitised form ([`describe`](super::describe)): its
//! literals are already masked and its comments gone, so no literal can become a name, and
//! only the first [`INFER_PREFIX_BYTES`](super::INFER_PREFIX_BYTES) of it are read, so a
//! 1 MB bulk `INSERT` costs what its first few kilobytes cost. `#[instrument_db]` infers once
//! per call site for a literal statement, and per call for `statement = arg`.

use super::sanitize::Dialect;

/// The statement's operation (`SELECT`, `INSERT`, ...; the main statement of a `WITH`) and
/// the table it works on, when they can be told, reading it as [`Dialect::Generic`].
///
/// ```
/// let (op, table) = memotrace::db::infer("INSERT OR IGNORE INTO main.users (email) VALUES (?1)");
/// assert_eq!((op.as_deref(), table.as_deref()), (Some("INSERT"), Some("main.users")));
/// ```
#[must_use]
pub fn infer(statement: &str) -> (Option<String>, Option<String>) {
    Dialect::Generic.infer(statement)
}

impl Dialect {
    /// [`infer`], reading `statement` in this dialect (which quotes name a table).
    ///
    /// ```
    /// use memotrace::db::Dialect;
    /// let (op, table) = Dialect::PostgreSql.infer(r#"DELETE FROM "Orders" WHERE note = 'x'"#);
    /// assert_eq!((op.as_deref(), table.as_deref()), (Some("DELETE"), Some("Orders")));
    /// ```
    #[must_use]
    pub fn infer(self, statement: &str) -> (Option<String>, Option<String>) {
        let d = super::describe(statement, self);
        (d.operation, d.table)
    }
}

/// [`infer`] on a sanitised statement (literals masked, comments dropped).
pub(crate) fn infer_masked(statement: &str) -> (Option<String>, Option<String>) {
    let tokens = lex(statement);
    let mut depth = 0usize;
    let mut first = None;
    let mut main = None;
    for (idx, tok) in tokens.iter().enumerate() {
        match tok {
            Tok::Open => depth += 1,
            Tok::Close => depth = depth.saturating_sub(1),
            Tok::Word(w) if depth == 0 || (first.is_none() && main.is_none()) => {
                let upper = w.to_ascii_uppercase();
                if first.is_none() {
                    first = Some(upper.clone());
                    if upper != "WITH" {
                        main = Some((upper, idx));
                        break;
                    }
                } else if depth == 0
                    && matches!(
                        upper.as_str(),
                        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "REPLACE"
                    )
                {
                    main = Some((upper, idx));
                    break;
                }
            }
            _ => {}
        }
    }
    let Some((op, at)) = main else {
        return (first, None);
    };
    let rest = &tokens[at + 1..];
    let table = match op.as_str() {
        "SELECT" | "DELETE" => after_keyword(rest, "FROM"),
        "INSERT" | "REPLACE" => after_keyword(rest, "INTO"),
        "UPDATE" => {
            let mut r = rest;
            if matches!(r.first(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case("OR")) {
                r = r.get(2..).unwrap_or(&[]);
            }
            if matches!(r.first(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case("ONLY")) {
                r = &r[1..];
            }
            name_at(r)
        }
        "CREATE" | "DROP" | "ALTER" | "TRUNCATE" => {
            let r = after_word(rest, "TABLE").unwrap_or(if op == "TRUNCATE" { rest } else { &[] });
            let mut r = r;
            while matches!(r.first(), Some(Tok::Word(w)) if ["IF", "NOT", "EXISTS"].iter().any(|k| w.eq_ignore_ascii_case(k)))
            {
                r = &r[1..];
            }
            name_at(r)
        }
        _ => None,
    };
    (Some(op), table)
}

enum Tok<'a> {
    Word(&'a str),
    Quoted(&'a str),
    Open,
    Close,
    Dot,
    Other,
}

fn after_keyword(tokens: &[Tok<'_>], keyword: &str) -> Option<String> {
    let mut depth = 0usize;
    for (idx, tok) in tokens.iter().enumerate() {
        match tok {
            Tok::Open => depth += 1,
            Tok::Close => depth = depth.saturating_sub(1),
            Tok::Word(w) if depth == 0 && w.eq_ignore_ascii_case(keyword) => {
                return name_at(&tokens[idx + 1..])
            }
            _ => {}
        }
    }
    None
}

fn after_word<'t, 'a>(tokens: &'t [Tok<'a>], word: &str) -> Option<&'t [Tok<'a>]> {
    let idx = tokens
        .iter()
        .position(|t| matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(word)))?;
    Some(&tokens[idx + 1..])
}

/// `name`, `"name"`, `schema.name`.
fn name_at(tokens: &[Tok<'_>]) -> Option<String> {
    let part = |t: &Tok<'_>| match t {
        Tok::Word(w) | Tok::Quoted(w) => Some((*w).to_owned()),
        _ => None,
    };
    let mut name = part(tokens.first()?)?;
    let mut rest = &tokens[1..];
    while let (Some(Tok::Dot), Some(next)) = (rest.first(), rest.get(1)) {
        name.push('.');
        name.push_str(&part(next)?);
        rest = &rest[2..];
    }
    Some(name)
}

/// Tokens of a sanitised statement (no string literal or comment is left in it).
fn lex(s: &str) -> Vec<Tok<'_>> {
    let b = s.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = b[i];
        match c {
            b'"' | b'`' | b'[' => {
                let close = if c == b'[' { b']' } else { c };
                let start = i + 1;
                let end = b[start..]
                    .iter()
                    .position(|&x| x == close)
                    .map_or(n, |p| start + p);
                out.push(Tok::Quoted(&s[start..end]));
                i = (end + 1).min(n);
            }
            b'(' => {
                out.push(Tok::Open);
                i += 1;
            }
            b')' => {
                out.push(Tok::Close);
                i += 1;
            }
            b'.' => {
                out.push(Tok::Dot);
                i += 1;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let start = i;
                while i < n
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Tok::Word(&s[start..i]));
            }
            _ if c.is_ascii_whitespace() => i += 1,
            _ => {
                i += 1;
                while i < n && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push(Tok::Other);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Dialect;

    fn check(sql: &str, op: &str, table: Option<&str>) {
        let (o, t) = Dialect::PostgreSql.infer(sql);
        assert_eq!(o.as_deref(), Some(op), "{sql}");
        assert_eq!(t.as_deref(), table, "{sql}");
    }

    #[test]
    fn infers() {
        check(
            "SELECT id FROM users WHERE id = ?1",
            "SELECT",
            Some("users"),
        );
        check(
            "select (select 1 from a) from main.\"Users\" u",
            "SELECT",
            Some("main.Users"),
        );
        check(
            "INSERT INTO users (email) VALUES (?)",
            "INSERT",
            Some("users"),
        );
        check("insert or replace into t values (1)", "INSERT", Some("t"));
        check("UPDATE OR IGNORE users SET a = 1", "UPDATE", Some("users"));
        check(
            "DELETE FROM users WHERE 'FROM x' = ''",
            "DELETE",
            Some("users"),
        );
        check(
            "WITH RECURSIVE c(x) AS (SELECT 1 FROM dual) SELECT x FROM c",
            "SELECT",
            Some("c"),
        );
        check(
            "CREATE TABLE IF NOT EXISTS users (id INTEGER)",
            "CREATE",
            Some("users"),
        );
        check("-- c\n/* d */ SELECT 1", "SELECT", None);
        check("BEGIN", "BEGIN", None);
    }
}
