//! Compile-fail tests of memotrace built without its optional features; the tests are in
//! `tests/` and their cases in `ui/`.
