//! `aludel check`: is the history valid and the database at its heads?

use std::path::Path;

use aludel::{Direction, MigrationConnection};

use crate::cli::CheckArgs;
use crate::database::{connect, with_conn, Access, Database, DatabaseError};
use crate::error::CliError;
use crate::output;
use crate::project::Project;

/// Exits 0 with `database is at heads (<heads>)` on stderr when the database is at the
/// history's heads; exits 1 with one line saying what is pending otherwise, and with the
/// diagnostics when the history is invalid (loading the project fails first). A database at a
/// revision the history does not contain is an error too. Read-only.
pub fn run(project: &Project, args: &CheckArgs, cwd: &Path) -> Result<String, CliError> {
    if let Some(path) = &args.schema {
        return super::schema::check(project, args, path.as_deref(), cwd);
    }
    let db = Database::new(project, &args.database)?;
    let mut conn = connect(db.require_url()?, Access::ReadOnly)?;
    with_conn!(&mut conn, c => check_on(c, &db))
}

fn check_on<C: MigrationConnection>(conn: &mut C, db: &Database<'_>) -> Result<String, CliError> {
    let plan = db
        .migrator()
        .plan(conn, Direction::Upgrade, "heads")
        .map_err(|e| db.run_error(&e))?;
    if plan.is_empty() {
        output::message(&format!(
            "database is at heads ({})\n",
            db.revisions(&plan.heads_before)
        ));
        return Ok(String::new());
    }
    let pending: Vec<&str> = plan
        .steps
        .iter()
        .filter_map(|s| s.revision)
        .map(|r| r.id.as_str())
        .collect();
    const SHOWN: usize = 10;
    let mut list = pending
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if pending.len() > SHOWN {
        list.push_str(&format!(", and {} more", pending.len() - SHOWN));
    }
    let count = match pending.len() {
        1 => "1 revision is".to_string(),
        n => format!("{n} revisions are"),
    };
    Err(DatabaseError::NotAtHeads {
        message: format!(
            "database is not at heads: it is at {} and {count} pending ({list}); run `{} upgrade heads`",
            db.revisions(&plan.heads_before),
            output::program()
        ),
    }
    .into())
}
