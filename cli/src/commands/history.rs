//! `aludel history`: the revisions, newest first (Alembic's `history`).

use crate::cli::HistoryArgs;
use crate::error::CliError;
use crate::project::Project;
use crate::text::Line;

/// One line per revision, newest first, e.g. `b -> c2 (head), add users`,
/// `c2, d1 -> e (head) (mergepoint), merge`, `<base> -> a, first`; `--verbose` prints full
/// entries separated by blank lines. `-r` limits the range (see [`Project::history`]).
pub fn run(project: &Project, args: &HistoryArgs) -> Result<String, CliError> {
    let revisions = project.history(args.rev_range.as_deref())?;
    super::list(
        project,
        &revisions,
        args.output.format,
        args.verbose,
        Line {
            branches: true,
            doc: true,
            parents: true,
            tree: true,
        },
    )
}
