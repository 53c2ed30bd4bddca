//! `aludel edit REV`: open a revision file in the editor (Alembic's `edit`).

use std::io::Write;
use std::path::Path;
use std::process::Command;

use aludel_graph::{load_dir, parse_revision, scan_dir, GraphOptions};

use crate::cli::{EditArgs, ProjectArgs};
use crate::error::CliError;
use crate::project::{Layout, Project};

use super::revision::{exit_status, say};

/// The variables that name the editor, in the order they are read.
pub const EDITOR_VARIABLES: [&str; 2] = ["VISUAL", "EDITOR"];

/// Opens the file of the one revision `REV` names (an id, a unique prefix, a branch label,
/// `head`, `<label>@head`, ...) in `$VISUAL`, else `$EDITOR`, and waits for it. The variable
/// is split on whitespace (`code --wait` works) and run without a shell, with the file's path
/// as the last argument. Prints nothing on stdout.
///
/// A history with several heads is fine. A history that does not validate (edit is how one
/// repairs it) is searched file by file for a revision with that id or unique id prefix.
pub fn run(
    project: &ProjectArgs,
    args: &EditArgs,
    cwd: &Path,
    messages: &mut dyn Write,
) -> Result<String, CliError> {
    let layout = Layout::locate(project, cwd)?;
    let path = find(&layout, &args.rev, cwd, messages)?;
    let (variable, value) = editor().ok_or_else(|| CliError::External {
        message: format!(
            "no editor is set: set $VISUAL or $EDITOR (e.g. `EDITOR=vi aludel edit {}`), or open {path} yourself",
            args.rev
        ),
    })?;
    let words: Vec<&str> = value.split_whitespace().collect();
    let Some((program, editor_args)) = words.split_first() else {
        return Err(CliError::External {
            message: format!("${variable} is empty; set it to an editor, or open {path} yourself"),
        });
    };
    let status = Command::new(program)
        .args(editor_args)
        .arg(&path)
        .current_dir(cwd)
        .status()
        .map_err(|err| CliError::External {
            message: format!(
                "cannot start the editor `{value}` (${variable}): {err}; set ${variable} to an editor on your PATH, or open {path} yourself"
            ),
        })?;
    if status.success() {
        Ok(String::new())
    } else {
        Err(CliError::External {
            message: format!(
                "the editor `{value}` (${variable}) failed on {path} ({})",
                exit_status(status)
            ),
        })
    }
}

/// The first of `$VISUAL` and `$EDITOR` that is set and not blank: its name and value.
fn editor() -> Option<(&'static str, String)> {
    EDITOR_VARIABLES.into_iter().find_map(|variable| {
        let value = std::env::var_os(variable)?;
        let value = value.to_string_lossy().trim().to_string();
        (!value.is_empty()).then_some((variable, value))
    })
}

/// The path (relative to `cwd` when possible) of the file of the revision `rev` names.
fn find(
    layout: &Layout,
    rev: &str,
    cwd: &Path,
    messages: &mut dyn Write,
) -> Result<String, CliError> {
    let versions = cwd.join(&layout.versions);
    let lenient = GraphOptions {
        allow_multiple_heads: true,
        ..layout.config.graph_options()
    };
    match load_dir(&versions, cwd, &lenient) {
        Ok(history) => {
            let project = Project::new(history);
            Ok(project.resolve_one(rev, "edit")?.source.path.clone())
        }
        Err(diagnostics) => {
            let Some(path) = find_in_files(&versions, cwd, rev) else {
                return Err(CliError::Invalid(diagnostics));
            };
            say(
                messages,
                &format!("The revision history is invalid (`aludel heads` shows why); opening {path}, the file of revision {rev}"),
            );
            Ok(path)
        }
    }
}

/// In a history that does not validate: the one file that parses and declares the id `rev`,
/// else the one whose id starts with `rev` (four characters or more, as for targets).
fn find_in_files(versions: &Path, cwd: &Path, rev: &str) -> Option<String> {
    let files = scan_dir(versions, cwd).ok()?;
    let ids: Vec<(String, String)> = files
        .iter()
        .filter_map(|file| {
            let bytes = std::fs::read(&file.path).ok()?;
            let revision = parse_revision(&file.display, &bytes).ok()?;
            Some((revision.id, file.display.clone()))
        })
        .collect();
    let exact: Vec<&String> = ids
        .iter()
        .filter(|(id, _)| id == rev)
        .map(|(_, path)| path)
        .collect();
    let prefixed: Vec<&String> = ids
        .iter()
        .filter(|(id, _)| rev.len() >= 4 && id.starts_with(rev))
        .map(|(_, path)| path)
        .collect();
    match (exact.as_slice(), prefixed.as_slice()) {
        ([one], _) | ([], [one]) => Some((*one).clone()),
        _ => None,
    }
}
