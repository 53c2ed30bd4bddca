//! The real histories beside the repository, `../shared/corpora/` (see its README): shared by
//! the tests of several crates (`#[path]`-included), which run only where the corpora are.

use std::path::{Path, PathBuf};

/// `../shared/corpora/<path>`, or `None` with a note naming the test and the missing path
/// when it is absent (a clone without `../shared`); with `ALUDEL_TEST_REQUIRE_CORPORA=1` (CI)
/// a missing corpus fails the test instead.
pub fn corpus(path: &str) -> Option<PathBuf> {
    // The crate's directory is one level below the repository, beside `shared/`.
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let beside = crate_dir.ancestors().nth(2).unwrap_or(crate_dir);
    let full = beside.join("shared/corpora").join(path);
    if full.exists() {
        return Some(full);
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    assert!(
        std::env::var("ALUDEL_TEST_REQUIRE_CORPORA").as_deref() != Ok("1"),
        "{test}: the corpus {} is missing but ALUDEL_TEST_REQUIRE_CORPORA=1",
        full.display()
    );
    eprintln!(
        "note: {test}: skipped, the corpus {} is missing (ALUDEL_TEST_REQUIRE_CORPORA=1 makes this a failure)",
        full.display()
    );
    None
}
