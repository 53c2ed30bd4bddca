//! `aludel show REV`: one revision in full (Alembic's `show`).

use crate::cli::{Format, ShowArgs};
use crate::error::CliError;
use crate::json::{self, RevisionJson, ShowJson};
use crate::project::Project;
use crate::text;

/// The verbose entry of the one revision `REV` names, followed by a blank line; with
/// `--format json` the revision object with its `upgrade` and `downgrade` SQL.
pub fn run(project: &Project, args: &ShowArgs) -> Result<String, CliError> {
    let revision = project.resolve_one(&args.rev, "show")?;
    match args.output.format {
        Format::Json => json::render(&ShowJson {
            revision: RevisionJson::new(project, revision),
            upgrade: &revision.upgrade,
            downgrade: revision.downgrade.as_deref(),
        }),
        Format::Text => Ok(format!("{}\n", text::entry(project, revision))),
    }
}
