//! `aludel import diesel DIR`: turns a diesel migrations folder into a linear aludel history in
//! diesel's own order (see `aludel_graph::import` for the rules), written into the project's
//! empty versions directory. A database that diesel_migrations manages is then taken over with
//! `aludel stamp --from-diesel`.

use std::io::Write;
use std::path::Path;

use aludel_graph::import::read_diesel_dir;
use aludel_graph::load_files;

use crate::cli::{ImportArgs, ImportSource, ProjectArgs};
use crate::commands::revision::say;
use crate::error::CliError;
use crate::project::{show, Layout};

/// Imports, returning the written files' paths (one per line) for stdout.
pub fn run(
    project: &ProjectArgs,
    args: &ImportArgs,
    cwd: &Path,
    messages: &mut dyn Write,
) -> Result<String, CliError> {
    let ImportSource::Diesel { dir } = &args.source;
    let layout = Layout::locate(project, cwd)?;
    let source = cwd.join(dir);
    let import = read_diesel_dir(&source).map_err(|err| CliError::Authoring {
        message: format!("cannot import {}: {err}", show(dir)),
    })?;
    let versions = cwd.join(&layout.versions);
    if super::revision::has_revisions(&versions) {
        return Err(CliError::Authoring {
            message: format!(
                "{} already holds revisions; import a diesel history into an empty versions directory (a new project: `aludel init`)",
                show(&layout.versions)
            ),
        });
    }
    let files = import.to_revisions();
    // Everything is checked before anything is written.
    let shown: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(name, text)| (show(&layout.versions.join(name)), text.clone().into_bytes()))
        .collect();
    let options = layout.config.graph_options();
    load_files(&shown, &options).map_err(|diagnostics| CliError::WouldBreak {
        path: show(&layout.versions),
        diagnostics,
    })?;
    std::fs::create_dir_all(&versions).map_err(|source| CliError::Io {
        action: "create directory",
        path: show(&layout.versions),
        source,
    })?;
    for entry in &import.ignored {
        say(
            messages,
            &format!(
                "Skipping {}: {} (diesel does not run it)",
                show(&entry.path),
                entry.reason
            ),
        );
    }
    let mut out = String::new();
    for (name, text) in &files {
        let path = layout.versions.join(name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(cwd.join(&path))
            .map_err(|source| CliError::Io {
                action: "create",
                path: show(&path),
                source,
            })?;
        file.write_all(text.as_bytes())
            .map_err(|source| CliError::Io {
                action: "write",
                path: show(&path),
                source,
            })?;
        out.push_str(&show(&path));
        out.push('\n');
    }
    let transactional_false = import
        .migrations
        .iter()
        .filter(|m| !m.run_in_transaction)
        .count();
    let irreversible = import
        .migrations
        .iter()
        .filter(|m| !m.is_reversible())
        .count();
    say(
        messages,
        &format!(
            "Imported {} diesel migrations from {} into {} ...  done ({transactional_false} outside a transaction, {irreversible} irreversible)",
            files.len(),
            show(dir),
            show(&layout.versions)
        ),
    );
    say(messages, "A database that diesel_migrations manages is taken over with `aludel stamp --from-diesel`.");
    Ok(out)
}
