//! Operation timing and the metrics snapshot.
