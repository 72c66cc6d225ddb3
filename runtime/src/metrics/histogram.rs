//! `memotrace_operation_duration_seconds` as a Prometheus histogram, computed at scrape
//! time from each operation's own latency buckets (nothing is recorded twice).

use super::series::{durations as current, BOUNDS, DURATION as NAME};
use metrics::{counter, gauge};
use std::fmt::Write as _;

/// The histogram of every operation in the Prometheus text format.
pub(super) fn render(out: &mut String) {
    let ops = current();
    if ops.is_empty() {
        return;
    }
    let _ = writeln!(out, "# HELP {NAME} Duration of #[log_performance] calls.");
    let _ = writeln!(out, "# TYPE {NAME} histogram");
    for op in ops {
        let name = escape(op.name);
        for (le, n) in BOUNDS.iter().zip(&op.at_most) {
            let _ = writeln!(out, "{NAME}_bucket{{operation=\"{name}\",le=\"{le}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "{NAME}_bucket{{operation=\"{name}\",le=\"+Inf\"}} {}",
            op.count
        );
        let _ = writeln!(
            out,
            "{NAME}_sum{{operation=\"{name}\"}} {}",
            op.sum.as_secs_f64()
        );
        let _ = writeln!(out, "{NAME}_count{{operation=\"{name}\"}} {}", op.count);
    }
}

/// The same series through the `metrics` facade, for recorders other than
/// [`prometheus`](super::prometheus): cumulative `_bucket` and `_count` counters and a
/// `_sum` gauge.
#[allow(clippy::cast_precision_loss)]
pub(super) fn record() {
    for op in current() {
        for (le, n) in BOUNDS.iter().zip(&op.at_most) {
            counter!(format!("{NAME}_bucket"), "operation" => op.name, "le" => le.to_string())
                .absolute(*n);
        }
        counter!(format!("{NAME}_bucket"), "operation" => op.name, "le" => "+Inf")
            .absolute(op.count);
        counter!(format!("{NAME}_count"), "operation" => op.name).absolute(op.count);
        gauge!(format!("{NAME}_sum"), "operation" => op.name).set(op.sum.as_secs_f64());
    }
}

/// A label value in the text format: `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_are_escaped() {
        assert_eq!(super::escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
