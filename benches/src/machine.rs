//! The machine a figure was measured on: core count and load average, printed beside
//! every result so noisy runs can be told apart.

use std::fmt;

/// Core count and the 1/5/15-minute load averages at one moment.
pub struct Machine {
    /// Cores available to this process.
    pub cores: usize,
    /// `/proc/loadavg`'s first three fields, or "unknown" off Linux.
    pub load: String,
}

impl Machine {
    /// Reads the machine's state now.
    pub fn now() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let load = std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".to_owned());
        Self { cores, load }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "nproc {}, load average {}", self.cores, self.load)
    }
}
