//! The sanitiser against a reference tokenizer: generated statements full of quotes,
//! escapes and comments, written the way each dialect writes them, are read by
//! `sqlparser`'s tokenizer for that dialect; no string or number literal (or comment) it
//! sees may reach the sanitised text.
//!
//! Every literal and comment body holds the marker `zq` (and identifiers, keywords and
//! placeholders never hold `zq` or a digit), so "nothing leaked" is "no `zq` and no digit
//! in the output" — unless the output is the fully masked `? (not tokenizable, N bytes)`.
#![deny(warnings, clippy::all, clippy::pedantic)]

use memotrace::db::Dialect;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sqlparser::dialect::{
    Dialect as Reference, GenericDialect, MsSqlDialect, MySqlDialect, PostgreSqlDialect,
    SQLiteDialect,
};
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

/// Generated statements per dialect (a few seconds in all, in a debug build).
const CASES: u32 = 400;

/// What literal and comment bodies are made of: the marker and everything that can end or
/// escape a quote or a comment in some dialect.
const PIECES: &[&str] = &[
    "zq", "Zq", "zqx", "'", "''", "\"", "\\", "\\\\", "--", "#", "$", "$q$", "`", "[", "]", " ",
    "\n", "/", "*", ";", ")", "(",
];

/// Identifiers, keywords and punctuation: never `zq`, never a digit.
const WORDS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "AND", "OR", "IN", "INSERT", "INTO", "VALUES", "users", "email",
    "name", "t", "=", "<>", "<", "(", ")", ",", "+", "-", "*", "?", ".", "x", "NULL",
];

fn body() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..8)
        .prop_map(|pieces| format!("zq{}zq", pieces.concat()))
}

/// A body for a comment that must not end before its end marker.
fn comment_body(forbidden: &'static [&'static str]) -> BoxedStrategy<String> {
    body()
        .prop_map(move |mut b| {
            for f in forbidden {
                b = b.replace(f, "zq");
            }
            b
        })
        .boxed()
}

fn standard_string(b: &str) -> String {
    format!("'{}'", b.replace('\'', "''"))
}

/// `MySQL`'s quoting: backslash escapes, the quote escaped either way.
fn backslash_string(b: &str, quote: char, doubled: bool) -> String {
    let escaped_quote = if doubled {
        format!("{quote}{quote}")
    } else {
        format!("\\{quote}")
    };
    let inner = b.replace('\\', "\\\\").replace(quote, &escaped_quote);
    format!("{quote}{inner}{quote}")
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..100_000).prop_map(|n| n.to_string()),
        (1u32..1000, 1u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        (1u32..1000).prop_map(|b| format!(".{b}")),
        (1u32..100, 1u32..20).prop_map(|(a, e)| format!("{a}e{e}")),
        (1u32..100, 1u32..20).prop_map(|(a, e)| format!("{a}.5E-{e}")),
    ]
}

fn hex() -> impl Strategy<Value = String> {
    (1u32..0xFFFF).prop_map(|n| format!("X'{n:04X}'"))
}

/// A literal or comment as `dialect` writes it.
fn marked(dialect: Dialect) -> BoxedStrategy<String> {
    let line = comment_body(&["\n"]);
    let block = comment_body(&["*/", "/*"]);
    let common = prop_oneof![
        body().prop_map(|b| standard_string(&b)),
        number(),
        block.clone().prop_map(|b| format!("/* {b} */")),
    ];
    match dialect {
        Dialect::PostgreSql => prop_oneof![
            common,
            hex(),
            body().prop_map(|b| format!("E{}", backslash_string(&b, '\'', false))),
            body().prop_map(|b| format!("$q${}$q$", b.replace('$', "zq"))),
            body().prop_map(|b| format!("$${}$$", b.replace('$', "zq"))),
            (block.clone(), block.clone(), block.clone())
                .prop_map(|(a, b, c)| format!("/* {a} /* {b} */ {c} */")),
            line.prop_map(|b| format!("--{b}\n")),
        ]
        .boxed(),
        Dialect::MySql => prop_oneof![
            (body(), any::<bool>()).prop_map(|(b, d)| backslash_string(&b, '\'', d)),
            (body(), any::<bool>()).prop_map(|(b, d)| backslash_string(&b, '"', d)),
            number(),
            hex(),
            (1u32..0xFFFF).prop_map(|n| format!("0x{n:X}")),
            block.clone().prop_map(|b| format!("/* {b} */")),
            line.clone().prop_map(|b| format!("-- {b}\n")),
            line.prop_map(|b| format!("#{b}\n")),
        ]
        .boxed(),
        Dialect::Sqlite => {
            prop_oneof![common, hex(), line.prop_map(|b| format!("--{b}\n"))].boxed()
        }
        Dialect::MsSql => prop_oneof![
            common,
            body().prop_map(|b| format!("N{}", standard_string(&b))),
            (block.clone(), block.clone(), block.clone())
                .prop_map(|(a, b, c)| format!("/* {a} /* {b} */ {c} */")),
            line.prop_map(|b| format!("--{b}\n")),
        ]
        .boxed(),
        Dialect::Generic => prop_oneof![
            common,
            hex(),
            body().prop_map(|b| format!("E{}", backslash_string(&b, '\'', false))),
            body().prop_map(|b| format!("$q${}$q$", b.replace('$', "zq"))),
            (block.clone(), block.clone(), block.clone())
                .prop_map(|(a, b, c)| format!("/* {a} /* {b} */ {c} */")),
            line.prop_map(|b| format!("--{b}\n")),
        ]
        .boxed(),
    }
}

/// A quoted identifier as `dialect` writes it (no marker inside).
fn quoted_identifier(dialect: Dialect) -> BoxedStrategy<String> {
    let name = prop::sample::select(&["Order Items", "it's", "a\"b", "x]y", "a`b"][..]);
    match dialect {
        Dialect::PostgreSql | Dialect::Generic => name
            .prop_map(|n| format!("\"{}\"", n.replace('"', "\"\"")))
            .boxed(),
        Dialect::MySql => name
            .prop_map(|n| format!("`{}`", n.replace('`', "``")))
            .boxed(),
        Dialect::MsSql => name
            .prop_map(|n| format!("[{}]", n.replace(']', "]]")))
            .boxed(),
        Dialect::Sqlite => name
            .prop_filter("no `]` in a SQLite bracket name", |n| !n.contains(']'))
            .prop_map(|n| format!("[{n}]"))
            .boxed(),
    }
}

fn statement(dialect: Dialect) -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_owned),
        3 => marked(dialect),
        1 => quoted_identifier(dialect),
    ];
    prop::collection::vec(fragment, 1..24).prop_map(|parts| parts.join(" "))
}

fn is_literal_or_comment(token: &Token) -> bool {
    matches!(
        token,
        Token::Number(..)
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::DollarQuotedString(_)
            | Token::NationalStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::Whitespace(
                Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_)
            )
    )
}

fn check(dialect: Dialect, reference: &dyn Reference) {
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&statement(dialect), |sql| {
        let tokens = Tokenizer::new(reference, &sql)
            .tokenize()
            .map_err(|e| TestCaseError::fail(format!("reference tokenizer: {e} in {sql:?}")))?;
        // The generator put every marker and digit inside a literal or comment, as the
        // reference reads them.
        for token in tokens.iter().filter(|t| !is_literal_or_comment(t)) {
            let text = token.to_string();
            prop_assert!(
                !text.to_lowercase().contains("zq") && !text.chars().any(|c| c.is_ascii_digit()),
                "generator bug: {token:?} in {sql:?}"
            );
        }
        let got = dialect.sanitize(&sql);
        if !got.starts_with("? (not tokenizable, ") {
            prop_assert!(
                !got.to_lowercase().contains("zq") && !got.chars().any(|c| c.is_ascii_digit()),
                "{dialect:?} leaked a literal:\n  in: {sql:?}\n out: {got:?}"
            );
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn postgresql_literals_never_leak() {
    check(Dialect::PostgreSql, &PostgreSqlDialect {});
}

#[test]
fn mysql_literals_never_leak() {
    check(Dialect::MySql, &MySqlDialect {});
}

#[test]
fn sqlite_literals_never_leak() {
    check(Dialect::Sqlite, &SQLiteDialect {});
}

#[test]
fn mssql_literals_never_leak() {
    check(Dialect::MsSql, &MsSqlDialect {});
}

#[test]
fn generic_literals_never_leak() {
    check(Dialect::Generic, &GenericDialect {});
}
