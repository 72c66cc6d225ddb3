//! Cache stores, keys, registry and statistics.
