//! Macro misuse is a spanned compile error saying what to write instead: every
//! `tests/ui/*.rs` must fail to compile with exactly its `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
