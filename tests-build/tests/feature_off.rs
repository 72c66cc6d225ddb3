//! Without the `redis` feature, `#[cached(store = redis)]` and `store = tiered` are one
//! compile error each that names the feature to enable: every `ui/*.rs` must fail to
//! compile with exactly its `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
