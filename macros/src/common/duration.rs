//! Duration literals: `"250ms"`, `"10m"`, `"1h30m"` or an integer number of seconds.

use syn::{Expr, ExprLit, Lit};

const HINT: &str = "write a string such as \"250ms\", \"30s\", \"10m\", \"1h30m\" or \"1d\", or an integer number of seconds (at most 100 years)";

/// A duration the user wrote, in milliseconds.
pub(crate) fn parse(expr: &Expr, what: &str) -> syn::Result<u64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => parse_text(&s.value()).ok_or_else(|| {
            syn::Error::new(
                s.span(),
                format!("invalid duration {:?} for `{what}`: {HINT}", s.value()),
            )
        }),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i
            .base10_parse::<u64>()
            .ok()
            .and_then(|secs| secs.checked_mul(1000))
            .filter(|ms| (1..=MAX_MS).contains(ms))
            .ok_or_else(|| {
                syn::Error::new(i.span(), format!("invalid duration for `{what}`: {HINT}"))
            }),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{what}` takes a duration: {HINT}"),
        )),
    }
}

/// Parses `"1h30m"`-style text into milliseconds; `None` when malformed or zero.
pub(crate) fn parse_text(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '_')
            .unwrap_or(rest.len());
        let number: u64 = rest[..digits].replace('_', "").parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(number.checked_mul(factor)?)?;
    }
    (total > 0 && total <= MAX_MS).then_some(total)
}

/// The longest duration accepted: 100 years (caches' engines refuse much longer ones).
const MAX_MS: u64 = 100 * 365 * 86_400_000;

#[cfg(test)]
mod tests {
    use super::parse_text;

    #[test]
    fn parses_units_and_compounds() {
        assert_eq!(parse_text("250ms"), Some(250));
        assert_eq!(parse_text("10m"), Some(600_000));
        assert_eq!(parse_text("1h30m"), Some(5_400_000));
        assert_eq!(parse_text("1d"), Some(86_400_000));
        assert_eq!(parse_text("1_000ms"), Some(1_000));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "", "10", "10x", "m", "0s", "1.5s", "-1s", "1h 30m", "40000d",
        ] {
            assert_eq!(parse_text(bad), None, "{bad}");
        }
    }
}
