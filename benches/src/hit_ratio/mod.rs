//! The hit-ratio harness: request streams (generated or read from trace files), the
//! caches replayed over them, Belady's offline optimum, and the plots.

pub mod contenders;
pub mod opt;
pub mod plot;
pub mod trace_file;
pub mod workload;
