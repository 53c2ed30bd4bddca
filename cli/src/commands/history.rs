//! `aludel history`: the revisions, newest first (Alembic's `history`).

use crate::cli::{Format, HistoryArgs};
use crate::error::CliError;
use crate::json::{self, RevisionJson};
use crate::project::Project;
use crate::text::{self, Line};

/// One line per revision, newest first, e.g. `b -> c2 (head), add users`,
/// `c2, d1 -> e (head) (mergepoint), merge`, `<base> -> a, first`; `--verbose` prints full
/// entries separated by blank lines. `-r` limits the range (see [`Project::history`]).
pub fn run(project: &Project, args: &HistoryArgs) -> Result<String, CliError> {
    let revisions = project.history(args.rev_range.as_deref())?;
    match args.output.format {
        Format::Json => json::render(
            &revisions
                .iter()
                .map(|r| RevisionJson::new(project, r))
                .collect::<Vec<_>>(),
        ),
        Format::Text => {
            let mut out = String::new();
            for revision in revisions {
                if args.verbose {
                    out.push_str(&text::entry(project, revision));
                } else {
                    out.push_str(&text::line(
                        project,
                        revision,
                        Line {
                            branches: true,
                            doc: true,
                            parents: true,
                            tree: true,
                        },
                    ));
                }
                out.push('\n');
            }
            Ok(out)
        }
    }
}
