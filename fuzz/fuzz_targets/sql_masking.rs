//! Fuzzes SQL masking: for any statement, no string or number literal that `sqlparser`'s
//! tokenizer (the reference) reads in the same dialect reaches the masked text.
//!
//! The first input byte picks the dialect; the rest is the statement. A literal is only
//! checked when it is at least 3 bytes long and its text appears nowhere else in the
//! statement (a literal `'users'` next to a table `users` proves nothing).
#![no_main]

use libfuzzer_sys::fuzz_target;
use memotrace::db::Dialect;
use sqlparser::dialect::{
    Dialect as Reference, GenericDialect, MsSqlDialect, MySqlDialect, PostgreSqlDialect,
    SQLiteDialect,
};
use sqlparser::tokenizer::{Token, Tokenizer};

fn literal(token: &Token) -> Option<&str> {
    match token {
        Token::Number(s, _)
        | Token::SingleQuotedString(s)
        | Token::DoubleQuotedString(s)
        | Token::NationalStringLiteral(s)
        | Token::EscapedStringLiteral(s)
        | Token::UnicodeStringLiteral(s)
        | Token::HexStringLiteral(s)
        | Token::SingleQuotedByteStringLiteral(s)
        | Token::DoubleQuotedByteStringLiteral(s) => Some(s),
        Token::DollarQuotedString(d) => Some(&d.value),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(sql) = std::str::from_utf8(rest) else {
        return;
    };
    let (ours, reference): (Dialect, &dyn Reference) = match pick % 5 {
        0 => (Dialect::PostgreSql, &PostgreSqlDialect {}),
        1 => (Dialect::MySql, &MySqlDialect {}),
        2 => (Dialect::Sqlite, &SQLiteDialect {}),
        3 => (Dialect::MsSql, &MsSqlDialect {}),
        _ => (Dialect::Generic, &GenericDialect {}),
    };
    let masked = ours.sanitize(sql);
    if masked.starts_with("? (not tokenizable, ") {
        return;
    }
    let Ok(tokens) = Tokenizer::new(reference, sql).tokenize() else {
        return;
    };
    let rest: String = tokens
        .iter()
        .filter(|t| literal(t).is_none())
        .map(ToString::to_string)
        .collect();
    for value in tokens.iter().filter_map(literal) {
        if value.len() >= 3 && !rest.contains(value) {
            assert!(
                !masked.contains(value),
                "{ours:?} leaked {value:?}:\n  in: {sql:?}\n out: {masked:?}"
            );
        }
    }
});
