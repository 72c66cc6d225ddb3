//! Items the expansions reach for the perf side.
