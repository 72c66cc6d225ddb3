//! Benchmarks of memotrace against its peers live under `benches/`.
