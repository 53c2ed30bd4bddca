//! The strict scan of a versions directory.
//!
//! Every entry of the directory (and of its subdirectories) is either a revision file or
//! matches one of these written ignore rules; anything else is an error, never silently
//! skipped:
//! - names starting with `.` (dotfiles, `.gitkeep`, hidden directories, editor swap files such
//!   as `.x.sql.swp`);
//! - editor backups and leftovers: names ending in `~`, `.swp`, `.swo`, `.bak`, `.orig`,
//!   `.rej`, `.tmp`, and Emacs autosaves `#name#`;
//! - README files: `README`, `README.md`, `README.txt`, `README.rst` (any case).
//!
//! Revision files end in `.sql` or `.rs`. Files are returned sorted by their path relative to the
//! directory, byte by byte; that is the *load order* used to break ties (see
//! [`crate::Graph`]). A file name that is not UTF-8 is an error.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Location};

/// A revision file found by [`scan_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedFile {
    /// The file's path, usable to open it.
    pub path: PathBuf,
    /// The file's path as shown to people (relative to the display root when possible).
    pub display: String,
    /// The path relative to the scanned directory, with `/` separators: the sort key.
    pub relative: String,
}

/// Why an entry of a versions directory is ignored, or `None` when it is not.
pub fn ignore_reason(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if name.starts_with('.') {
        Some("dotfile")
    } else if name.ends_with('~')
        || [".swp", ".swo", ".bak", ".orig", ".rej", ".tmp"]
            .iter()
            .any(|ext| lower.ends_with(ext))
        || (name.starts_with('#') && name.ends_with('#') && name.len() > 1)
    {
        Some("editor backup")
    } else if matches!(
        lower.as_str(),
        "readme" | "readme.md" | "readme.txt" | "readme.rst"
    ) {
        Some("README")
    } else {
        None
    }
}

/// `path` as shown to people: relative to `root` (with `..` steps when it lies elsewhere), so
/// that messages never depend on where a machine keeps the project. Both paths are normalised
/// lexically first.
pub fn display_path(path: &Path, root: &Path) -> String {
    let path = normalize(path);
    let root = normalize(root);
    let shown = if path.is_absolute() == root.is_absolute() {
        let common = path
            .components()
            .zip(root.components())
            .take_while(|(a, b)| a == b)
            .count();
        if common == 0 && path.is_absolute() {
            path.clone()
        } else {
            let mut relative = PathBuf::new();
            for _ in root.components().skip(common) {
                relative.push("..");
            }
            for part in path.components().skip(common) {
                relative.push(part);
            }
            relative
        }
    } else {
        path.clone()
    };
    let shown = if shown.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        shown
    };
    shown.to_string_lossy().replace('\\', "/")
}

/// Removes `.` and resolves `..` against the preceding component, without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Lists the revision files of `dir` (recursively), strictly.
///
/// `display_root` is the directory paths are shown relative to (the crate root for the macro,
/// the working directory for the CLI). Returns every problem at once.
pub fn scan_dir(dir: &Path, display_root: &Path) -> Result<Vec<ScannedFile>, Vec<Diagnostic>> {
    let shown_dir = display_path(dir, display_root);
    match std::fs::metadata(dir) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(vec![Diagnostic::global(format!(
                "migrations directory `{shown_dir}` does not exist"
            ))
            .with_help("create the directory, or point aludel at the directory that holds the revision files")]);
        }
        Err(err) => {
            return Err(vec![Diagnostic::global(format!(
                "cannot read migrations directory `{shown_dir}`: {err}"
            ))]);
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(vec![Diagnostic::global(format!(
                "`{shown_dir}` is not a directory"
            ))
            .with_help("point to the directory that holds the revision files")]);
        }
        Ok(_) => {}
    }
    let mut files = Vec::new();
    let mut errors = Vec::new();
    walk(dir, "", display_root, &mut files, &mut errors);
    if errors.is_empty() && files.is_empty() {
        errors.push(
            Diagnostic::global(format!("no revision files in `{shown_dir}`")).with_help(
                "create the first revision with `aludel revision -m \"first revision\"`",
            ),
        );
    }
    if errors.is_empty() {
        files.sort_by(|a: &ScannedFile, b| a.relative.as_bytes().cmp(b.relative.as_bytes()));
        Ok(files)
    } else {
        Err(errors)
    }
}

fn walk(
    dir: &Path,
    prefix: &str,
    display_root: &Path,
    files: &mut Vec<ScannedFile>,
    errors: &mut Vec<Diagnostic>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            errors.push(Diagnostic::global(format!(
                "cannot read directory `{}`: {err}",
                display_path(dir, display_root)
            )));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                errors.push(Diagnostic::global(format!(
                    "cannot read directory `{}`: {err}",
                    display_path(dir, display_root)
                )));
                continue;
            }
        };
        let path = entry.path();
        let shown = display_path(&path, display_root);
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            errors.push(
                Diagnostic::at(Location::new(shown, 0, 0), "file name is not valid UTF-8")
                    .with_help("rename the file; revision file names must be UTF-8"),
            );
            continue;
        };
        if ignore_reason(&name).is_some() {
            continue;
        }
        let relative = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        // Follows symbolic links, like reading the file would; other entries need no stat.
        let is_dir = match entry.file_type() {
            Ok(kind) if kind.is_symlink() => std::fs::metadata(&path).is_ok_and(|m| m.is_dir()),
            Ok(kind) => kind.is_dir(),
            Err(_) => false,
        };
        if is_dir {
            walk(&path, &relative, display_root, files, errors);
        } else if name.ends_with(".sql") || name.ends_with(".rs") {
            files.push(ScannedFile {
                path,
                display: shown,
                relative,
            });
        } else {
            let help = if name.ends_with(".py") {
                "Alembic's Python revisions do not run here: write the revision as SQL (`.sql`) or Rust (`.rs`)"
            } else {
                "revision files end in `.sql` or `.rs`; move other files out of the versions directory (dotfiles, editor backups and READMEs are ignored)"
            };
            errors.push(
                Diagnostic::at(Location::new(shown, 0, 0), "not a revision file").with_help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_relative() {
        let root = Path::new("/work/p/target/tests/trybuild/t");
        assert_eq!(
            display_path(Path::new("/work/p/target/tests/trybuild/t/m/v/a.sql"), root),
            "m/v/a.sql"
        );
        assert_eq!(
            display_path(&root.join("../../../../tests/ui/x/a.sql"), root),
            "../../../../tests/ui/x/a.sql"
        );
        assert_eq!(
            display_path(Path::new("/work/p/m/./v"), Path::new("/work/p")),
            "m/v"
        );
        assert_eq!(
            display_path(Path::new("/work/p"), Path::new("/work/p")),
            "."
        );
    }

    #[test]
    fn ignore_rules() {
        for name in [
            ".gitkeep",
            ".x.sql.swp",
            "a.sql~",
            "a.sql.bak",
            "a.sql.orig",
            "#a.sql#",
            "README",
            "readme.md",
            "README.txt",
        ] {
            assert!(ignore_reason(name).is_some(), "{name} should be ignored");
        }
        for name in ["a.sql", "notes.txt", "a.rs", "README.sql", "#"] {
            assert!(
                ignore_reason(name).is_none(),
                "{name} should not be ignored"
            );
        }
    }
}
