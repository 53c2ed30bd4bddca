//! The whole pipeline from a directory to a validated graph: scan, parse, validate.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::graph::{Graph, GraphOptions};
use crate::revision::{parse_revision_file, Sections};
use crate::scan::{scan_dir, ScannedFile};

/// A validated history read from a directory.
#[derive(Debug, Clone)]
pub struct History {
    /// The graph.
    pub graph: Graph,
    /// The files, in load order; `files[i]` holds `graph.revisions()[i]`.
    pub files: Vec<ScannedFile>,
    /// The SQL sections of each file, aligned with `files`.
    pub sections: Vec<Sections>,
}

/// Scans `dir`, parses every revision file and validates the graph, reporting every problem
/// at once. Paths in diagnostics are shown relative to `display_root`.
pub fn load_dir(
    dir: &Path,
    display_root: &Path,
    options: &GraphOptions,
) -> Result<History, Diagnostics> {
    let files = scan_dir(dir, display_root).map_err(|d| {
        let mut diagnostics = Diagnostics(d);
        diagnostics.sort();
        diagnostics
    })?;
    let mut contents = Vec::with_capacity(files.len());
    let mut diagnostics = Diagnostics::default();
    for file in &files {
        match std::fs::read(&file.path) {
            Ok(bytes) => contents.push((file.display.clone(), bytes)),
            Err(err) => diagnostics.push(Diagnostic::at(
                crate::Location::new(file.display.clone(), 0, 0),
                format!("cannot read revision file: {err}"),
            )),
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let (graph, sections) = load_files_with_sections(&contents, options)?;
    Ok(History {
        graph,
        files,
        sections,
    })
}

/// Parses revision files given as (display path, contents) in load order and validates the
/// graph. Parse errors of every file are reported together; the graph is validated once every
/// file parses, so that a broken file does not cause follow-on errors.
pub fn load_files(
    files: &[(String, Vec<u8>)],
    options: &GraphOptions,
) -> Result<Graph, Diagnostics> {
    load_files_with_sections(files, options).map(|(graph, _)| graph)
}

/// [`load_files`], with each file's SQL sections, aligned with [`Graph::revisions`].
pub fn load_files_with_sections(
    files: &[(String, Vec<u8>)],
    options: &GraphOptions,
) -> Result<(Graph, Vec<Sections>), Diagnostics> {
    let mut revisions = Vec::with_capacity(files.len());
    let mut sections = Vec::with_capacity(files.len());
    let mut diagnostics = Diagnostics::default();
    for (path, bytes) in files {
        match parse_revision_file(path, bytes) {
            Ok((revision, sql)) => {
                for section in &sql.named {
                    if let Some((message, help)) =
                        unknown_database(&section.database, &options.databases)
                    {
                        let at = crate::Location::new(path.clone(), section.line, 1);
                        diagnostics.push(Diagnostic::at(at, message).with_help(help));
                    }
                }
                revisions.push(revision);
                sections.push(sql);
            }
            Err(errors) => {
                for error in errors {
                    diagnostics.push(error);
                }
            }
        }
    }
    if !diagnostics.is_empty() {
        diagnostics.sort();
        return Err(diagnostics);
    }
    // A graph that builds keeps every revision, in load order.
    let graph = Graph::build(revisions, options)?;
    Ok((graph, sections))
}

/// Why a section may not name `database` in a project of `databases`, if it may not: the
/// message and what to do.
fn unknown_database(database: &str, databases: &[String]) -> Option<(String, String)> {
    if databases.iter().any(|d| d == database) {
        return None;
    }
    if databases.is_empty() {
        return Some((
            format!("the section names database `{database}`, but aludel.toml configures no databases"),
            format!("declare it as `[databases.{database}]` in aludel.toml (with its `url`), or, if the line is a comment, reword it: `-- upgrade <name>` starts a section of that database"),
        ));
    }
    let known = crate::diagnostic::list_some(databases, ", ");
    let help = match crate::diagnostic::nearest(database, databases.iter().map(String::as_str)) {
        Some(near) => format!("did you mean `{near}`? aludel.toml configures {known}"),
        None => format!("aludel.toml configures {known}"),
    };
    Some((
        format!("the section names database `{database}`, which aludel.toml does not configure"),
        help,
    ))
}
