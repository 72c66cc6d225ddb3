//! Examples of memotrace live under `examples/`.
