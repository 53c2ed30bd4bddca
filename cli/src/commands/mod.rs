//! One module per command. Each `run` takes the loaded project and the command's options and
//! returns the text for stdout; the caller writes it.

pub mod branches;
pub mod check;
pub mod current;
pub mod downgrade;
pub mod edit;
pub mod fleet;
pub mod heads;
pub mod history;
pub mod import;
pub mod init;
pub mod merge;
pub mod revision;
pub mod schema;
pub mod show;
pub mod stamp;
pub mod upgrade;

use aludel_graph::Revision;

use crate::cli::Format;
use crate::error::CliError;
use crate::json::{self, RevisionJson};
use crate::project::Project;
use crate::text::{self, Line};

/// A list of revisions: a JSON array, or one text line per revision (`line` says which parts)
/// or, with `verbose`, full entries separated by blank lines.
fn list(
    project: &Project,
    revisions: &[&Revision],
    format: Format,
    verbose: bool,
    line: Line,
) -> Result<String, CliError> {
    match format {
        Format::Json => json::render(
            &revisions
                .iter()
                .map(|r| RevisionJson::new(project, r))
                .collect::<Vec<_>>(),
        ),
        Format::Text => {
            let mut out = String::new();
            for revision in revisions {
                if verbose {
                    out.push_str(&text::entry(project, revision));
                } else {
                    out.push_str(&text::line(project, revision, line));
                }
                out.push('\n');
            }
            Ok(out)
        }
    }
}
