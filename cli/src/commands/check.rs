//! `aludel check`: is the history valid and the database at its heads?

use std::path::Path;

use aludel::{Direction, MigrationConnection};

use crate::cli::CheckArgs;
use crate::database::{connect, with_conn, Access, Database, DatabaseError};
use crate::error::CliError;
use crate::output;
use crate::project::Project;
use crate::several;

/// Exits 0 with `database is at heads (<heads>)` on stderr when the database is at the
/// history's heads; exits 1 with one line saying what is pending otherwise, and with the
/// diagnostics when the history is invalid (loading the project fails first). A database at a
/// revision the history does not contain is an error too. Read-only.
///
/// In a project of several databases, every database is checked (or the one `--database
/// NAME` names): `<name>: database is at heads (...)` for each one that is, and exit 1 naming
/// each one that is not.
pub fn run(project: &Project, args: &CheckArgs, cwd: &Path) -> Result<String, CliError> {
    if let Some(path) = &args.schema {
        return super::schema::check(project, args, path.as_deref(), cwd);
    }
    let dbs = Database::select(project, &args.database)?;
    if several::is_several(&dbs) {
        let mut conns = several::connect_all(&dbs, Access::ReadOnly)?;
        let mut behind = Vec::new();
        for (db, conn) in dbs.iter().zip(conns.iter_mut()) {
            let name = several::name_of(db);
            let result = check_on(conn, db, &format!("{name}: "))
                .map_err(|e| several::run_error(&dbs, &super::upgrade::named(db, e)))?;
            if let Some(message) = result {
                behind.push(format!("database `{name}`: {message}"));
            }
        }
        return match behind.as_slice() {
            [] => Ok(String::new()),
            _ => Err(DatabaseError::NotAtHeads {
                message: behind.join("\n  "),
            }
            .into()),
        };
    }
    let Some(db) = dbs.into_iter().next() else {
        return Ok(String::new());
    };
    let mut conn = connect(db.require_url()?, Access::ReadOnly)?;
    match with_conn!(&mut conn, c => check_on(c, &db, "")).map_err(|e| db.run_error(&e))? {
        None => Ok(String::new()),
        Some(message) => Err(DatabaseError::NotAtHeads { message }.into()),
    }
}

/// `Ok(None)` with `<prefix>database is at heads (...)` on stderr when the database is at
/// the heads, else what is pending.
fn check_on<C: MigrationConnection>(
    conn: &mut C,
    db: &Database<'_>,
    prefix: &str,
) -> Result<Option<String>, aludel::Error> {
    let plan = db.migrator().plan(conn, Direction::Upgrade, "heads")?;
    if plan.is_empty() {
        output::message(&format!(
            "{prefix}database is at heads ({})\n",
            db.revisions(&plan.heads_before)
        ));
        return Ok(None);
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
    Ok(Some(format!(
        "database is not at heads: it is at {} and {count} pending ({list}); run `{} upgrade heads`",
        db.revisions(&plan.heads_before),
        output::program()
    )))
}
