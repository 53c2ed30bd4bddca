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
    let sections = project.sections_of(&revision.id);
    match args.output.format {
        Format::Json => json::render(&ShowJson {
            revision: RevisionJson::new(project, revision),
            upgrade: sections.map_or("", |s| s.upgrade.as_str()),
            downgrade: sections.and_then(|s| s.downgrade.as_deref()),
        }),
        Format::Text => Ok(format!("{}\n", text::entry(project, revision))),
    }
}
