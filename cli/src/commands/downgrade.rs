//! `aludel downgrade TARGET`: revert revisions (Alembic's `downgrade`).

use aludel::Direction;

use crate::cli::MigrateArgs;
use crate::error::CliError;
use crate::project::Project;

/// Downgrades the database to `TARGET` (`-1`, a revision, `base`, `<label>@base`, ...), with
/// the same output as [`super::upgrade::run`]. When the downgrade reverts revisions of more
/// than one branch (several current heads, or `<label>@base` taking down what other branches
/// share), the plan is printed on stderr before it runs; `--dry-run` prints it on stdout
/// without running it. `--sql` needs a range `from:to`, as in Alembic.
///
/// # Warning
/// A downgrade runs the revisions' downgrade SQL, which usually drops data.
pub fn run(project: &Project, args: &MigrateArgs) -> Result<String, CliError> {
    super::upgrade::migrate(project, args, Direction::Downgrade)
}
