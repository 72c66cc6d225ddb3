//! Summaries of repeated, interleaved measurement rounds: on a shared machine a round
//! is slowed by whatever else runs, so the tools report the median and the fastest
//! round rather than a mean.

/// The middle value of `xs` (the upper middle for an even count); `xs` must not be empty.
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The smallest value of `xs`: the round least disturbed by other processes.
pub fn fastest(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::INFINITY, f64::min)
}
