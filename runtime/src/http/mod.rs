//! The request-context tower layer.
