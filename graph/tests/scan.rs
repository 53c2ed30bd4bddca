//! The strict directory scan on a real directory: ignore rules, subdirectories, load order,
//! and errors for everything else.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::{Path, PathBuf};

use aludel_graph::{load_dir, scan_dir, GraphOptions};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("aludel-scan-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn write(&self, name: &str, text: &str) {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rev(id: &str, down: &str) -> String {
    format!("-- revision: {id}\n-- down_revision: {down}\n\n-- upgrade\nSELECT 1;\n")
}

#[test]
fn ignored_files_and_load_order() {
    let dir = TempDir::new("order");
    dir.write("b_second.sql", &rev("b", "a"));
    dir.write("a_first.sql", &rev("a", ""));
    dir.write("2027/c_third.sql", &rev("c", "b"));
    for ignored in [
        ".gitkeep",
        "README.md",
        "a_first.sql~",
        ".a_first.sql.swp",
        "b.sql.bak",
        "#b.sql#",
        ".hidden/x.txt",
    ] {
        dir.write(ignored, "anything");
    }
    let files = scan_dir(&dir.0, &dir.0).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.display.as_str()).collect();
    assert_eq!(
        names,
        vec!["2027/c_third.sql", "a_first.sql", "b_second.sql"]
    );
    let history = load_dir(&dir.0, &dir.0, &GraphOptions::default()).unwrap();
    assert_eq!(history.graph.heads(), vec!["c"]);
}

#[test]
fn other_files_are_errors_not_skipped() {
    let dir = TempDir::new("others");
    dir.write("a.sql", &rev("a", ""));
    dir.write("notes.txt", "x");
    dir.write("b.py", "x");
    let err = scan_dir(&dir.0, &dir.0).unwrap_err();
    let shown: Vec<String> = err.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(
        shown
            .iter()
            .any(|s| s.starts_with("b.py: not a revision file")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|s| s.starts_with("notes.txt: not a revision file")),
        "{shown:?}"
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_file_name_is_an_error() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("names");
    dir.write("a.sql", &rev("a", ""));
    std::fs::write(dir.0.join(OsStr::from_bytes(b"caf\xe9.sql")), rev("b", "a")).unwrap();
    let err = scan_dir(&dir.0, &dir.0).unwrap_err();
    assert!(
        err[0].to_string().contains("file name is not valid UTF-8"),
        "{}",
        err[0]
    );
}

#[test]
fn missing_and_empty_directories() {
    let dir = TempDir::new("empty");
    let err = scan_dir(&dir.0.join("nope"), &dir.0).unwrap_err();
    assert_eq!(err[0].message, "migrations directory `nope` does not exist");
    dir.write(".gitkeep", "");
    let err = scan_dir(&dir.0, Path::new(&dir.0)).unwrap_err();
    assert_eq!(err[0].message, "no revision files in `.`");
    dir.write("file.sql", &rev("a", ""));
    let err = scan_dir(&dir.0.join("file.sql"), &dir.0).unwrap_err();
    assert_eq!(err[0].message, "`file.sql` is not a directory");
}
