//! `aludel merge`: a revision that joins several heads (Alembic's `merge`).

use std::io::Write;
use std::path::Path;

use crate::cli::{MergeArgs, ProjectArgs};
use crate::error::CliError;
use crate::project::Layout;

use super::revision::{load_for_authoring, write_revision, Draft};

/// Writes a merge revision whose `down_revision` lists the revisions `REVS` name (`heads`:
/// every head) and returns its path, for stdout; `Generating <path> ...  done` goes to
/// `messages`.
///
/// Unlike Alembic, which writes an ordinary revision when there is only one head, merging
/// fewer than two revisions is an error; so is merging a revision with one of its ancestors.
pub fn run(
    project: &ProjectArgs,
    args: &MergeArgs,
    cwd: &Path,
    messages: &mut dyn Write,
) -> Result<String, CliError> {
    let layout = Layout::locate(project, cwd)?;
    let graph = load_for_authoring(&layout, cwd)?;
    let revisions: Vec<&str> = args.revisions.iter().map(String::as_str).collect();
    let parents = graph.merge_parents(&revisions)?;
    let dir = layout.versions.clone();
    write_revision(
        &layout,
        &graph,
        &args.new,
        Draft {
            parents,
            depends_on: Vec::new(),
            dir,
            rust: false,
            body: None,
        },
        cwd,
        messages,
    )
}
