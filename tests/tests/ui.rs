//! Compile-time checks: every way a revision history can be broken is a compile error that
//! names the file and line (`tests/ui/<area>/<failure-mode>.rs`, each with its own fixture
//! directory beside it), and valid histories compile (`tests/ui/pass/`).
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p aludel-tests --test ui`
//! and read the diff.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    for area in ["graph", "file", "dir", "macro", "typed", "rust"] {
        t.compile_fail(format!("ui/{area}/*.rs"));
    }
}
