//! The schema the history yields, replayed into a scratch database of the project's dialect
//! (SQLite: a file in a directory of its own; PostgreSQL and MySQL: a database created for
//! it on the server of `--dev-url`, else of the configured database, and dropped afterwards
//! however the replay ends), and the schema of a live database; both read as `diesel
//! print-schema` reads them.

use aludel_schema::{Schema, TableFilter};

use super::settings::Settings;
use crate::database::{connect, Access, Backend, Conn, Database, DatabaseUrl};
use crate::error::CliError;
use crate::output;

/// The server the history is replayed on: `--dev-url`, else the configured database's
/// (`None`: SQLite, a scratch file). A `--dev-url` of another dialect than the configured
/// database's is refused: the history is replayed in the project's dialect.
pub fn server(db: &Database<'_>, dev_url: Option<&str>) -> Result<Option<DatabaseUrl>, CliError> {
    let configured = db.url().map(|(url, _)| url);
    let Some(dev_url) = dev_url else {
        return Ok(configured.filter(|u| u.backend != Backend::Sqlite).cloned());
    };
    let dev = DatabaseUrl::parse(dev_url, std::path::Path::new(""))?;
    let refuse = |message: String| CliError::Schema {
        location: format!("--dev-url {}", dev.shown),
        message,
    };
    if dev.backend == Backend::Sqlite {
        return Err(refuse(
            "the history is replayed into a scratch SQLite file of its own; --dev-url names a PostgreSQL or MySQL server".into(),
        ));
    }
    if let Some(configured) = configured.filter(|c| c.backend != dev.backend) {
        return Err(refuse(format!(
            "this is a {} server and the project's database {} is {}; the history is replayed in the project's dialect",
            dev.backend.name(),
            configured.shown,
            configured.backend.name()
        )));
    }
    Ok(Some(dev))
}

/// The tables a schema shows: diesel.toml's filter, without aludel's own.
pub fn filter(db: &Database<'_>, settings: &Settings) -> TableFilter {
    let mut filter = settings.filter.clone();
    filter.own = db.migrator().options().own_tables();
    filter
}

/// The schema the history yields, in a scratch database on `server` (`None`: SQLite).
pub fn history(
    db: &Database<'_>,
    server: Option<&DatabaseUrl>,
    settings: &Settings,
) -> Result<Schema, CliError> {
    with_history(db, server, |conn, shown| {
        introspect(conn, db, settings, shown)
    })
}

/// Runs `f` on a scratch database on `server` (`None`: SQLite) that holds the history
/// replayed, with the scratch database's name as shown; the scratch database is dropped
/// afterwards, however `f` ends.
pub fn with_history<T>(
    db: &Database<'_>,
    server: Option<&DatabaseUrl>,
    f: impl FnOnce(&mut Conn, &str) -> Result<T, CliError>,
) -> Result<T, CliError> {
    db.require_runnable()?;
    match server {
        None => replay_sqlite(db, f),
        Some(url) => replay_on_server(db, url, f),
    }
}

/// The schema of the live database `url` (`print-schema --database-url`).
pub fn live(db: &Database<'_>, url: &DatabaseUrl, settings: &Settings) -> Result<Schema, CliError> {
    let mut conn = connect(url, Access::ReadOnly)?;
    introspect(&mut conn, db, settings, &url.shown)
}

/// The parts of each table's definition (defaults, indexes, constraints, as the catalogue
/// states them), by table name, of the database `conn` is connected to.
pub type Parts = std::collections::BTreeMap<String, Vec<String>>;

/// The [`Parts`] of `schema`'s tables in the database `conn` is connected to.
pub fn parts(conn: &mut Conn, schema: &Schema, shown: &str) -> Result<Parts, CliError> {
    let mut out = Parts::new();
    for table in schema.tables.iter().filter(|t| t.schema.is_none()) {
        let name = table.name.as_str();
        let parts = match &mut *conn {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => aludel_schema::sqlite::table_parts(c, name),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => aludel_schema::postgres::table_parts(c, name),
            #[cfg(feature = "mysql")]
            Conn::Mysql(c) => aludel_schema::mysql::table_parts(c, name),
        }
        .map_err(|e| CliError::Schema {
            location: shown.to_string(),
            message: format!("cannot read the definition of table {name}: {e}"),
        })?;
        out.insert(table.name.clone(), parts);
    }
    Ok(out)
}

/// The schema of the live database `url`, which must be at the history's heads, and its
/// tables' [`Parts`]: what `check --schema` compares with the history's.
pub fn live_with_parts(
    db: &Database<'_>,
    url: &DatabaseUrl,
    settings: &Settings,
) -> Result<(Schema, Parts), CliError> {
    let mut conn = connect(url, Access::ReadOnly)?;
    crate::database::with_conn!(&mut conn, c => require_heads(db, c, &url.shown))?;
    let schema = introspect(&mut conn, db, settings, &url.shown)?;
    let parts = parts(&mut conn, &schema, &url.shown)?;
    Ok((schema, parts))
}

/// Reads the schema of the database `conn` is connected to.
pub fn introspect(
    conn: &mut Conn,
    db: &Database<'_>,
    settings: &Settings,
    shown: &str,
) -> Result<Schema, CliError> {
    let failed = |message: String| CliError::Schema {
        location: shown.to_string(),
        message,
    };
    let filter = filter(db, settings);
    let pg_schema = settings.print.schema.as_deref();
    #[allow(unreachable_patterns)]
    let schema = match conn {
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(c) if pg_schema.is_none() => {
            aludel_schema::sqlite::introspect(c, &filter, settings.row_ids_as_bigint)
        }
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => aludel_schema::postgres::introspect(c, pg_schema, &filter, &settings.domains),
        #[cfg(feature = "mysql")]
        Conn::Mysql(c) if pg_schema.is_none() => aludel_schema::mysql::introspect(c, &filter),
        _ => {
            return Err(failed(
                "diesel.toml's `print_schema.schema` names a PostgreSQL schema, and this is not a PostgreSQL database".into(),
            ))
        }
    };
    let mut schema = schema.map_err(|e| failed(e.to_string()))?;
    if settings.columns_by_name {
        for table in &mut schema.tables {
            table.columns.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }
    Ok(schema)
}

/// Refuses a database that is not at the history's heads.
fn require_heads<C: aludel::MigrationConnection>(
    db: &Database<'_>,
    conn: &mut C,
    shown: &str,
) -> Result<(), CliError> {
    let plan = db
        .migrator()
        .plan(conn, aludel::Direction::Upgrade, "heads")
        .map_err(|e| db.run_error(&e))?;
    let pending = plan.steps.iter().filter(|s| s.revision.is_some()).count();
    if pending > 0 {
        return Err(CliError::Schema {
            location: shown.to_string(),
            message: format!("the database is not at the history's heads ({pending} pending), and check --schema compares its schema with the history's at heads; run `{} upgrade heads` first", output::program()),
        });
    }
    Ok(())
}

/// MySQL: the character set and collation of the database `admin` is connected to, for the
/// scratch database, so that its tables are defined as that database's are (else nothing).
fn scratch_options(admin: &mut Conn) -> String {
    #[cfg(feature = "mysql")]
    #[allow(irrefutable_let_patterns)]
    if let Conn::Mysql(c) = admin {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Defaults {
            #[diesel(sql_type = diesel::sql_types::Text)]
            charset: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            collation: String,
        }
        let defaults: Result<Defaults, _> = diesel::sql_query(
            "SELECT CAST(default_character_set_name AS CHAR) AS charset, CAST(default_collation_name AS CHAR) AS collation FROM information_schema.schemata WHERE schema_name = DATABASE()",
        )
        .get_result(c);
        let word =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if let Ok(d) = defaults {
            if word(&d.charset) && word(&d.collation) {
                return format!(" CHARACTER SET {} COLLATE {}", d.charset, d.collation);
            }
        }
    }
    let _ = admin;
    String::new()
}

/// A name no other run takes: `aludel_scratch_<pid>_<nanoseconds>`.
fn scratch_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("aludel_scratch_{}_{nanos}", std::process::id())
}

/// Applies the whole history to the scratch database `conn`.
fn apply_all(db: &Database<'_>, conn: &mut Conn) -> Result<(), CliError> {
    let migrator = db.migrator();
    crate::database::with_conn!(conn, c => migrator.upgrade(c, "heads"))
        .map(|_| ())
        .map_err(|e| db.run_error(&e).into())
}

/// `f` run on the history replayed into a database created for it on the server of `url`.
fn replay_on_server<T>(
    db: &Database<'_>,
    url: &DatabaseUrl,
    f: impl FnOnce(&mut Conn, &str) -> Result<T, CliError>,
) -> Result<T, CliError> {
    use diesel::connection::SimpleConnection;

    /// Drops the scratch database when the replay ends, however it ends.
    struct Scratch {
        admin: Conn,
        name: String,
    }
    impl Drop for Scratch {
        fn drop(&mut self) {
            let sql = match self.admin {
                #[cfg(feature = "postgres")]
                Conn::Postgres(_) => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
                #[allow(unreachable_patterns)]
                _ => format!("DROP DATABASE IF EXISTS {}", self.name),
            };
            let _ = crate::database::with_conn!(&mut self.admin, c => c.batch_execute(&sql));
        }
    }
    let failed = |message: String| CliError::Schema {
        location: url.shown.clone(),
        message,
    };
    let mut admin = connect(url, Access::ReadOnly)?;
    let name = scratch_name();
    let options = scratch_options(&mut admin);
    crate::database::with_conn!(&mut admin, c => c.batch_execute(&format!("CREATE DATABASE {name}{options}")))
        .map_err(|e| {
            failed(format!(
                "cannot create the scratch database {name} (the history is replayed there): {}",
                url.scrub(&e.to_string())
            ))
        })?;
    let scratch = Scratch { admin, name };
    let scratch_url = url
        .with_database(&scratch.name)
        .ok_or_else(|| failed("not a server's URL".into()))?;
    let out = {
        let mut conn = connect(&scratch_url, Access::ReadOnly)?;
        apply_all(db, &mut conn)?;
        f(&mut conn, &scratch_url.shown)?
    };
    drop(scratch);
    Ok(out)
}

/// `f` run on the history replayed into a new SQLite database in a directory of its own,
/// removed afterwards.
#[cfg(feature = "sqlite")]
fn replay_sqlite<T>(
    db: &Database<'_>,
    f: impl FnOnce(&mut Conn, &str) -> Result<T, CliError>,
) -> Result<T, CliError> {
    use diesel::Connection;

    /// Removes the scratch directory however the replay ends.
    struct Scratch(std::path::PathBuf);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let scratch = Scratch(std::env::temp_dir().join(scratch_name()));
    let failed = |message: String| CliError::Schema {
        location: "the scratch database".into(),
        message,
    };
    std::fs::create_dir_all(&scratch.0)
        .map_err(|e| failed(format!("cannot create {}: {e}", scratch.0.display())))?;
    let path = scratch.0.join("history.db");
    let conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| failed(e.to_string()))?;
    let mut conn = Conn::Sqlite(conn);
    apply_all(db, &mut conn)?;
    f(&mut conn, "the scratch database")
}

#[cfg(not(feature = "sqlite"))]
fn replay_sqlite<T>(
    _db: &Database<'_>,
    _f: impl FnOnce(&mut Conn, &str) -> Result<T, CliError>,
) -> Result<T, CliError> {
    Err(CliError::Schema {
        location: "check --schema".into(),
        message: "this program is built without SQLite, into which the history is replayed".into(),
    })
}
