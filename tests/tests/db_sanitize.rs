//! The statement sanitiser, table-driven: literals masked, everything else kept, in the
//! dialect the statement is written in.
#![deny(warnings, clippy::all, clippy::pedantic)]

use memotrace::db::sanitize;
use memotrace::db::Dialect;

const CASES: &[(&str, &str, &str)] = &[
    // (what, input, expected)
    ("plain", "SELECT id FROM users", "SELECT id FROM users"),
    (
        "string",
        "SELECT * FROM t WHERE a = 'secret'",
        "SELECT * FROM t WHERE a = ?",
    ),
    (
        "escaped quote",
        "SELECT * FROM t WHERE a = 'it''s' AND b = ''",
        "SELECT * FROM t WHERE a = ? AND b = ?",
    ),
    (
        "quote in comment",
        "SELECT 1 -- it's fine\nFROM t",
        "SELECT ? FROM t",
    ),
    (
        "line comment at end",
        "SELECT a FROM t -- where password = 'x'",
        "SELECT a FROM t",
    ),
    (
        "block comment",
        "SELECT /* 'x' 42 */ a FROM t",
        "SELECT a FROM t",
    ),
    (
        "comment markers in string",
        "SELECT '-- no', '/* no */' FROM t",
        "SELECT ?, ? FROM t",
    ),
    (
        "integers",
        "SELECT * FROM t LIMIT 10 OFFSET 20",
        "SELECT * FROM t LIMIT ? OFFSET ?",
    ),
    (
        "decimals and exponents",
        "SELECT 3.14, .5, 1e10, 2.5E-3",
        "SELECT ?, ?, ?, ?",
    ),
    (
        "negative number keeps its operator",
        "SELECT * FROM t WHERE x = -42",
        "SELECT * FROM t WHERE x = -?",
    ),
    ("hex number", "SELECT 0xFF, 0x1a2B", "SELECT ?, ?"),
    (
        "blob literal",
        "INSERT INTO t VALUES (X'DEADBEEF', x'00')",
        "INSERT INTO t VALUES (?, ?)",
    ),
    (
        "prefixed strings",
        "SELECT N'x', E'it\\'s', B'0101'",
        "SELECT ?, ?, ?",
    ),
    (
        "identifiers with digits",
        "SELECT t1.col2, _x9 FROM table3 t1",
        "SELECT t1.col2, _x9 FROM table3 t1",
    ),
    (
        "quoted identifiers kept",
        "SELECT \"Order\", `key`, \"a\"\"b\" FROM \"T 1\"",
        "SELECT \"Order\", `key`, \"a\"\"b\" FROM \"T 1\"",
    ),
    (
        "placeholders kept",
        "SELECT * FROM t WHERE a = ? AND b = ?2 AND c = $1 AND d = :name AND e = @p",
        "SELECT * FROM t WHERE a = ? AND b = ?2 AND c = $1 AND d = :name AND e = @p",
    ),
    (
        "in list of numbers",
        "SELECT * FROM t WHERE id IN (1, 2, 3)",
        "SELECT * FROM t WHERE id IN (?)",
    ),
    (
        "in list of strings",
        "SELECT * FROM t WHERE s in ('a', 'b''c')",
        "SELECT * FROM t WHERE s in (?)",
    ),
    (
        "in list of placeholders",
        "DELETE FROM t WHERE id IN (?1, ?2, ?3)",
        "DELETE FROM t WHERE id IN (?)",
    ),
    (
        "not in, mixed",
        "SELECT 1 WHERE x NOT IN (NULL, -1, 'z')",
        "SELECT ? WHERE x NOT IN (?)",
    ),
    (
        "in subquery kept",
        "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE k = 5)",
        "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE k = ?)",
    ),
    (
        "values list not collapsed",
        "INSERT INTO t (a, b) VALUES (1, 'x')",
        "INSERT INTO t (a, b) VALUES (?, ?)",
    ),
    ("dollar quote", "SELECT $$it's a 'body'$$", "SELECT ?"),
    (
        "tagged dollar quote",
        "CREATE FUNCTION f() AS $fn$ SELECT 'x' $$ $fn$ LANGUAGE sql",
        "CREATE FUNCTION f() AS ? LANGUAGE sql",
    ),
    (
        "unicode string",
        "SELECT * FROM t WHERE name = 'Zoë 日本'",
        "SELECT * FROM t WHERE name = ?",
    ),
    (
        "unicode identifier",
        "SELECT café, naïve_1 FROM données",
        "SELECT café, naïve_1 FROM données",
    ),
    (
        "whitespace collapsed",
        "SELECT\n  a,\n\tb\r\nFROM   t  ",
        "SELECT a, b FROM t",
    ),
    ("casts kept", "SELECT x::int FROM t", "SELECT x::int FROM t"),
    (
        "operators",
        "SELECT a+1, b||'x', c<>2 FROM t",
        "SELECT a+?, b||?, c<>? FROM t",
    ),
    (
        "keywords true false null",
        "UPDATE t SET a = TRUE, b = NULL",
        "UPDATE t SET a = TRUE, b = NULL",
    ),
    ("empty", "", ""),
    ("leading and trailing space", "  SELECT 1  ", "SELECT ?"),
    (
        "comment without spaces",
        "SELECT a/*c*/FROM t",
        "SELECT a FROM t",
    ),
    ("line comment mid", "SELECT a--c\nFROM t", "SELECT a FROM t"),
    ("only a comment", "-- nothing", ""),
];

#[test]
fn table() {
    let mut failures = Vec::new();
    for (what, input, expected) in CASES {
        let got = Dialect::PostgreSql.sanitize(input);
        if got != *expected {
            failures.push(format!(
                "{what}: {input:?}\n   got {got:?}\n  want {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn untokenizable_statements_are_never_returned_raw() {
    for input in [
        "SELECT 'unterminated secret",
        "SELECT \"unterminated",
        "SELECT 1 /* unterminated 'secret'",
        "SELECT $$ secret",
        "SELECT $tag$ secret $other$",
        "SELECT 'it''s secret",
    ] {
        let got = sanitize(input);
        assert_eq!(
            got,
            format!("? (not tokenizable, {} bytes)", input.len()),
            "{input}"
        );
        assert!(!got.contains("secret"));
    }
}

#[test]
fn limited_output_is_cut_on_a_char_boundary_and_stops_early() {
    let long = format!("SELECT {}", vec!["'é'"; 10_000].join(", "));
    let got = Dialect::Generic.sanitize_limited(&long, 500);
    assert_eq!(got.chars().count(), 500);
    assert!(got.starts_with("SELECT ?, ?, ?"));
    let unicode = format!("SELECT {}", "ü".repeat(600));
    assert_eq!(
        Dialect::Generic
            .sanitize_limited(&unicode, 500)
            .chars()
            .count(),
        500
    );
}

#[test]
fn no_digit_or_quote_content_survives_random_literals() {
    // Every literal value below contains the marker; none may reach the output.
    let values = [
        "'MARK'",
        "'MA''RK'",
        "$$MARK$$",
        "$q$MARK$q$",
        "X'4D41524B'",
        "E'MA\\'RK'",
    ];
    for v in values {
        let sql = format!("SELECT a FROM t WHERE b = {v} AND c IN ({v}, {v})");
        let got = Dialect::PostgreSql.sanitize(&sql);
        assert!(
            !got.contains("MARK") && !got.contains("4D41"),
            "{sql} -> {got}"
        );
        assert_eq!(got, "SELECT a FROM t WHERE b = ? AND c IN (?)", "{sql}");
    }
}

/// Statements each dialect reads its own way, with what must be logged. Every `secret`,
/// `s3cr3t` and digit in them is part of a literal or a comment.
const TRICKY: &[(Dialect, &str, &str)] = &[
    // PostgreSQL
    (
        Dialect::PostgreSql,
        "SELECT 1 /* a /* b */ secret */ FROM t",
        "SELECT ? FROM t",
    ),
    (
        Dialect::PostgreSql,
        r"SELECT E'it\'s secret', e'\\' FROM t",
        "SELECT ?, ? FROM t",
    ),
    (
        Dialect::PostgreSql,
        "SELECT $$secret$$, $fn$ it's $$ secret $fn$ FROM t",
        "SELECT ?, ? FROM t",
    ),
    (
        Dialect::PostgreSql,
        r"SELECT U&'d\0061t\+000061 secret' UESCAPE '!' FROM t",
        "SELECT U&? UESCAPE ? FROM t",
    ),
    (
        Dialect::PostgreSql,
        r#"SELECT * FROM "Order Items" WHERE "col" = 'secret'"#,
        r#"SELECT * FROM "Order Items" WHERE "col" = ?"#,
    ),
    (
        Dialect::PostgreSql,
        r"SELECT 'C:\', 'secret' FROM t",
        "SELECT ?, ? FROM t",
    ),
    (
        Dialect::PostgreSql,
        "SELECT data #>> '{a,secret}' FROM t",
        "SELECT data #>> ? FROM t",
    ),
    (
        Dialect::PostgreSql,
        "SELECT B'0101', X'1F', 'a' -- it's secret\n'b' FROM t",
        "SELECT ?, ?, ? ? FROM t",
    ),
    (
        Dialect::PostgreSql,
        "SELECT $1, $2::text FROM t WHERE a = 'secret' AND b IN ($3, 'x')",
        "SELECT $1, $2::text FROM t WHERE a = ? AND b IN (?)",
    ),
    // MySQL / MariaDB
    (
        Dialect::MySql,
        r"SELECT * FROM users WHERE name = 'O\'Brien' AND pw = 'secret'",
        "SELECT * FROM users WHERE name = ? AND pw = ?",
    ),
    (
        Dialect::MySql,
        r#"SELECT * FROM users WHERE email = "a@b.c""#,
        "SELECT * FROM users WHERE email = ?",
    ),
    (
        Dialect::MySql,
        "SELECT a FROM t # it's a secret\nWHERE b = 1",
        "SELECT a FROM t WHERE b = ?",
    ),
    (
        Dialect::MySql,
        "SELECT 1--1, a -- secret\nFROM t",
        "SELECT ?--?, a FROM t",
    ),
    (
        Dialect::MySql,
        "SELECT `order id`, `a``b` FROM `t` WHERE c = 'secret'",
        "SELECT `order id`, `a``b` FROM `t` WHERE c = ?",
    ),
    (
        Dialect::MySql,
        r"SELECT 'a\\', 'secret' FROM t",
        "SELECT ?, ? FROM t",
    ),
    (
        Dialect::MySql,
        r#"SELECT "say \"secret\"", 'it''s', "x""s3cr3t" FROM t"#,
        "SELECT ?, ?, ? FROM t",
    ),
    (
        Dialect::MySql,
        "SELECT _utf8mb4'secret', X'53', b'01', 0x53, 0b01 FROM t",
        "SELECT _utf8mb4?, ?, ?, ?, ? FROM t",
    ),
    (
        Dialect::MySql,
        "SELECT /*!40100 'secret' */ 1 FROM t",
        "SELECT ? FROM t",
    ),
    (
        Dialect::MySql,
        r"INSERT INTO t VALUES ('a\'), (\'secret')",
        "INSERT INTO t VALUES (?)",
    ),
    (
        Dialect::MySql,
        r"SELECT * FROM t WHERE a IN ('x\'', 's3cr3t\\')",
        "SELECT * FROM t WHERE a IN (?)",
    ),
    // SQLite
    (
        Dialect::Sqlite,
        r#"SELECT * FROM users WHERE email = "a@b.c""#,
        "SELECT * FROM users WHERE email = ?",
    ),
    (
        Dialect::Sqlite,
        "SELECT [order id], `k` FROM [my table] WHERE x = 'secret'",
        "SELECT [order id], `k` FROM [my table] WHERE x = ?",
    ),
    (
        Dialect::Sqlite,
        "SELECT X'53', 'it''s secret', 1e-3 FROM t",
        "SELECT ?, ?, ? FROM t",
    ),
    (
        Dialect::Sqlite,
        "SELECT a FROM t WHERE b = :name AND c = @p AND d = $v AND e = ?3",
        "SELECT a FROM t WHERE b = :name AND c = @p AND d = $v AND e = ?3",
    ),
    (
        Dialect::Sqlite,
        "SELECT 1 /* a /* b */ FROM t",
        "SELECT ? FROM t",
    ),
    (
        Dialect::Sqlite,
        r"SELECT 'C:\', 'secret' FROM t",
        "SELECT ?, ? FROM t",
    ),
    // SQL Server
    (
        Dialect::MsSql,
        "SELECT N'secret', [it's col] FROM [dbo].[users]",
        "SELECT ?, [it's col] FROM [dbo].[users]",
    ),
    (
        Dialect::MsSql,
        "SELECT $12.50, @p FROM #tmp",
        "SELECT ?, @p FROM #tmp",
    ),
    (
        Dialect::MsSql,
        "SELECT 1 /* a /* b */ secret */ FROM t",
        "SELECT ? FROM t",
    ),
    (
        Dialect::MsSql,
        r#"SELECT [a]]b], "c" FROM t WHERE x = 'secret'"#,
        r#"SELECT [a]]b], "c" FROM t WHERE x = ?"#,
    ),
    // Unknown databases: the safe superset.
    (
        Dialect::Generic,
        r"SELECT 'O\'Brien', 'secret'",
        "? (not tokenizable, 27 bytes)",
    ),
    (
        Dialect::Generic,
        r#"SELECT "a@b.c", `k` FROM t"#,
        "SELECT ?, `k` FROM t",
    ),
    (
        Dialect::Generic,
        "SELECT a FROM t # it's secret\n, 'x'",
        "? (not tokenizable, 35 bytes)",
    ),
    (
        Dialect::Generic,
        "SELECT a FROM t # plain secret",
        "SELECT a FROM t",
    ),
    (
        Dialect::Generic,
        "SELECT 1 /* a /* b */ secret */ FROM t",
        "? (not tokenizable, 38 bytes)",
    ),
    (
        Dialect::Generic,
        "SELECT [it's] FROM t WHERE x = 'secret'",
        "? (not tokenizable, 39 bytes)",
    ),
    (
        Dialect::Generic,
        "SELECT $1, $$secret$$, $12.50",
        "SELECT ?, ?, ?",
    ),
    (Dialect::Generic, r"SELECT 'C:\\', 'secret'", "SELECT ?, ?"),
    (Dialect::Generic, "SELECT 1--secret\n, 2", "SELECT ? , ?"),
    (
        Dialect::Generic,
        "SELECT 1--'secret\n, 2",
        "? (not tokenizable, 21 bytes)",
    ),
];

#[test]
fn each_dialect_masks_its_own_literals_and_comments() {
    let mut failures = Vec::new();
    for (dialect, input, expected) in TRICKY {
        let got = dialect.sanitize(input);
        if got != *expected {
            failures.push(format!(
                "{dialect:?}: {input:?}\n   got {got:?}\n  want {expected:?}"
            ));
        }
        assert!(
            !got.contains("secret") && !got.contains("s3cr3t") && !got.contains("Brien"),
            "{dialect:?} leaked a literal: {input:?} -> {got:?}"
        );
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn system_names_pick_the_dialect() {
    for (system, dialect) in [
        ("postgresql", Dialect::PostgreSql),
        ("PostgreSQL", Dialect::PostgreSql),
        ("mysql", Dialect::MySql),
        ("mariadb", Dialect::MySql),
        ("sqlite", Dialect::Sqlite),
        ("mssql", Dialect::MsSql),
        ("microsoft.sql_server", Dialect::MsSql),
        ("oracle", Dialect::Generic),
        ("", Dialect::Generic),
    ] {
        assert_eq!(Dialect::from_system(system), dialect, "{system}");
    }
    // The free functions read the safe superset.
    let mysql_escape = r"SELECT 'O\'Brien', 'secret'";
    assert_eq!(
        sanitize(mysql_escape),
        Dialect::Generic.sanitize(mysql_escape)
    );
}

#[test]
fn inference_never_names_a_literal() {
    // Read with the wrong quoting, each would name `secret` as the table.
    for (dialect, sql, table) in [
        (
            Dialect::MySql,
            r"SELECT 'a\' FROM secret -- ' FROM t",
            Some("t"),
        ),
        (Dialect::MySql, r#"SELECT "x" FROM t"#, Some("t")),
        (Dialect::MySql, "SELECT a # FROM secret\nFROM t", Some("t")),
        (
            Dialect::PostgreSql,
            "SELECT /* /* */ FROM secret */ a FROM t",
            Some("t"),
        ),
        (
            Dialect::PostgreSql,
            "SELECT $q$ FROM secret $q$ FROM t",
            Some("t"),
        ),
        (Dialect::Generic, r#"DELETE FROM "secret""#, None),
        (Dialect::Sqlite, r#"UPDATE "secret" SET a = 1"#, None),
        (
            Dialect::Generic,
            r"SELECT 'a\' FROM secret -- ' FROM t",
            None,
        ),
    ] {
        let (op, got) = dialect.infer(sql);
        assert!(op.is_some() || got.is_none(), "{sql}");
        assert_eq!(got.as_deref(), table, "{dialect:?}: {sql}");
    }
}

#[test]
fn inference_reads_only_the_start_of_a_long_statement() {
    let rows = vec!["(12345, 'some text value', 3.25)"; 40_000].join(", ");
    let sql = format!("INSERT INTO bulk_rows (a, b, c) VALUES {rows}");
    assert!(sql.len() > 1_000_000);
    let (op, table) = Dialect::PostgreSql.infer(&sql);
    assert_eq!(
        (op.as_deref(), table.as_deref()),
        (Some("INSERT"), Some("bulk_rows"))
    );
    // A name past the read prefix is not seen (the prefix is bounded), and a name cut by
    // the prefix's end is not reported half.
    let late = format!("SELECT {} FROM late_table", vec!["col"; 2_000].join(", "));
    assert_eq!(
        Dialect::PostgreSql.infer(&late),
        (Some("SELECT".to_owned()), None)
    );
    let cut = format!("SELECT x FROM {}", vec!["s"; 3_000].join("."));
    assert_eq!(
        Dialect::PostgreSql.infer(&cut),
        (Some("SELECT".to_owned()), None)
    );
}
