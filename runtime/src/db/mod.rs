//! What aludel needs from a database, per dialect, and the SQL of its tables.
//!
//! Every value is bound; identifiers (table and schema names from the options) are quoted for
//! the dialect. The functions here decide what to send for each dialect and send it through a
//! [`Driver`], so the sync and the async migrators share them.

use std::time::Duration;

use aludel_graph::sql::Dialect;
use aludel_graph::VersionOp;
use diesel::result::QueryResult;

use crate::drive::Driver;
use crate::error::Error;
use crate::options::Options;

mod mysql;
mod postgres;
mod sqlite;

/// A bound value.
#[derive(Debug, Clone, Copy)]
pub enum Bind<'a> {
    /// A text value.
    Text(&'a str),
    /// An integer value.
    Int(i64),
}
/// How aludel opens, ends and undoes a revision's transaction itself (see
/// [`frame`]).
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub(crate) begin: &'static str,
    pub(crate) commit: &'static str,
    pub(crate) rollback: &'static str,
}

impl Frame {
    /// A transaction of its own, READ COMMITTED whatever `default_transaction_isolation` says:
    /// each statement after the migration lock must see what the lock's previous holder
    /// committed (at REPEATABLE READ the snapshot would be the lock statement's, taken before
    /// the lock was free).
    pub(crate) const TRANSACTION: Frame = Frame {
        begin: "BEGIN ISOLATION LEVEL READ COMMITTED",
        commit: "COMMIT",
        rollback: "ROLLBACK",
    };
    /// Inside the caller's transaction: a savepoint, released when the revision is done.
    pub(crate) const SAVEPOINT: Frame = Frame {
        begin: "SAVEPOINT aludel_revision",
        commit: "RELEASE SAVEPOINT aludel_revision",
        rollback: "ROLLBACK TO SAVEPOINT aludel_revision; RELEASE SAVEPOINT aludel_revision",
    };
}

/// What [`prepare`] changed on the caller's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restore {
    /// Nothing.
    Nothing,
    /// SQLite's busy timeout was this many milliseconds.
    BusyTimeout(i64),
}

/// The name of the migration lock of one version table: derived from the resolved database,
/// schema and table, so that every spelling of the options that names the same table names
/// the same lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockName {
    /// `aludel:<database>.<schema>.<table>` (PostgreSQL), `aludel:<database>.<table>` (MySQL).
    pub(crate) text: String,
}

impl LockName {
    /// PostgreSQL's advisory lock key.
    pub(crate) fn number(&self) -> i64 {
        lock_number(&self.text)
    }

    /// MySQL's lock name: at most 64 characters, so a digest of the text.
    pub(crate) fn short(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.text.as_bytes());
        let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
        format!("aludel:{hex}")
    }
}

/// The names of aludel's tables, quoted for the dialect.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    pub(crate) dialect: Dialect,
    /// The version table, qualified and quoted.
    pub(crate) version: String,
    /// The version table's name as stored in the catalog.
    pub(crate) version_name: String,
    /// The log table, qualified and quoted.
    pub(crate) log: String,
    /// The lineage record (the lineage digest of each row of the version table), qualified and
    /// quoted: a function on PostgreSQL, a table of a few rows without index elsewhere, so that
    /// the startup check reads little.
    pub(crate) lineage: String,
    pub(crate) lineage_name: String,
    pub(crate) schema: Option<String>,
    /// The tenant schema the revisions run in, quoted (PostgreSQL, [`Options::schema_first`]).
    pub(crate) search_path: Option<String>,
}

impl Tables {
    pub(crate) fn new(dialect: Dialect, options: &Options) -> Result<Tables, Error> {
        for (what, name) in [
            ("version table", Some(&options.version_table)),
            ("log table", Some(&options.log_table)),
            ("schema", options.schema.as_ref()),
        ] {
            if let Some(name) = name {
                if name.is_empty() || name.len() > 63 || name.contains('\0') {
                    return Err(Error::InvalidName {
                        what,
                        name: name.clone(),
                    });
                }
            }
        }
        if options.schema.is_some() && dialect == Dialect::Sqlite {
            return Err(Error::SchemaOnSqlite);
        }
        if options.schema.is_some() && options.schema_first && dialect == Dialect::Mysql {
            return Err(Error::TenantSchemaOnMysql);
        }
        let qualify = |name: &str| match &options.schema {
            Some(schema) => format!(
                "{}.{}",
                dialect.quote_identifier(schema),
                dialect.quote_identifier(name)
            ),
            None => dialect.quote_identifier(name),
        };
        let lineage_name = lineage_table(&options.log_table);
        Ok(Tables {
            dialect,
            version: qualify(&options.version_table),
            version_name: options.version_table.clone(),
            log: qualify(&options.log_table),
            lineage: qualify(&lineage_name),
            lineage_name,
            schema: options.schema.clone(),
            search_path: options
                .schema
                .as_ref()
                .filter(|_| options.schema_first)
                .map(|schema| dialect.quote_identifier(schema)),
        })
    }

    /// The migration lock of this version table, in the scope the connection resolved.
    pub(crate) fn lock_name(&self, scope: Option<String>) -> LockName {
        let text = match scope {
            Some(scope) => format!("aludel:{scope}.{}", self.version_name),
            None => format!("aludel:{}", self.version_name),
        };
        LockName { text }
    }

    pub(crate) fn null_text(&self) -> &'static str {
        match self.dialect {
            Dialect::Mysql => "CAST(NULL AS CHAR)",
            _ => "CAST(NULL AS TEXT)",
        }
    }

    /// `CREATE TABLE` of Alembic's version table, byte for byte Alembic's shape.
    pub(crate) fn create_version_table(&self) -> String {
        let pk = self
            .dialect
            .quote_identifier(&derived_name(&self.version_name, "_pkc"));
        format!(
            "CREATE TABLE IF NOT EXISTS {} (version_num VARCHAR(32) NOT NULL, CONSTRAINT {pk} PRIMARY KEY (version_num))",
            self.version
        )
    }

    /// `CREATE TABLE` of the revision log and (SQLite, MySQL) of the lineage table. The log
    /// is append-only and read whole only when drift is found, so it has no index but its key.
    pub(crate) fn create_log_tables(&self) -> Vec<String> {
        let columns = "revision VARCHAR(32) NOT NULL, direction VARCHAR(16) NOT NULL, checksum VARCHAR(80) NOT NULL, lineage VARCHAR(80) NOT NULL, recorded_at VARCHAR(40) NOT NULL, duration_ms BIGINT NOT NULL";
        let key = match self.dialect {
            // SQLite's rowid (the largest id plus one) already grows; AUTOINCREMENT would add
            // a write to `sqlite_sequence` to every revision's commit.
            Dialect::Sqlite => "id INTEGER PRIMARY KEY",
            Dialect::Postgres => "id BIGSERIAL PRIMARY KEY",
            _ => "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
        };
        let mut out = vec![format!(
            "CREATE TABLE IF NOT EXISTS {} ({key}, {columns})",
            self.log
        )];
        if self.dialect != Dialect::Postgres {
            out.push(format!(
                "CREATE TABLE IF NOT EXISTS {} (revision VARCHAR(32) NOT NULL, lineage VARCHAR(80) NOT NULL)",
                self.lineage
            ));
        }
        out
    }

    /// The catalogue query that says whether the lineage record exists (a function on
    /// PostgreSQL, a table elsewhere), with its bound values.
    pub(crate) fn select_lineage_record(&self) -> (String, Vec<String>) {
        if self.dialect != Dialect::Postgres {
            return self.select_table(&self.lineage_name);
        }
        let null = self.null_text();
        match &self.schema {
            Some(schema) => (
                format!("SELECT CAST(p.proname AS TEXT) AS a, {null} AS b FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2"),
                vec![schema.clone(), self.lineage_name.clone()],
            ),
            None => (
                format!("SELECT CAST(p.proname AS TEXT) AS a, {null} AS b FROM pg_proc p WHERE p.pronamespace = CAST(current_schema() AS regnamespace) AND p.proname = $1"),
                vec![self.lineage_name.clone()],
            ),
        }
    }

    /// The rows of the version table with the newest lineage digest the revision log holds for
    /// each (where no lineage was recorded: a database an earlier aludel migrated, or a run
    /// that was interrupted). Reads the whole log: for the slow path only.
    pub(crate) fn select_logged_state(&self) -> String {
        format!(
            "SELECT v.version_num AS a, (SELECT l.lineage FROM {log} l WHERE l.revision = v.version_num AND l.direction <> 'downgrade' ORDER BY l.id DESC LIMIT 1) AS b FROM {version} v",
            log = self.log,
            version = self.version
        )
    }

    /// The rows of the version table with the lineage digest recorded for each, in one query.
    /// PostgreSQL keeps the digests in a function, so that the query reads one relation: in a
    /// new server process a second relation costs as much as the rest of the query.
    pub(crate) fn select_state(&self) -> String {
        match self.dialect {
            Dialect::Postgres => format!(
                "SELECT v.version_num AS a, {lineage}() AS b FROM {version} v",
                lineage = self.lineage,
                version = self.version
            ),
            _ => format!(
                "SELECT v.version_num AS a, (SELECT MAX(h.lineage) FROM {lineage} h WHERE h.revision = v.version_num) AS b FROM {version} v",
                lineage = self.lineage,
                version = self.version
            ),
        }
    }

    /// The rows of [`Tables::select_state`] as (row, recorded digest).
    pub(crate) fn decode_state(
        &self,
        rows: Vec<(String, Option<String>)>,
    ) -> Vec<(String, Option<String>)> {
        if self.dialect != Dialect::Postgres {
            return rows;
        }
        // Every row carries the function's text: `id=digest id=digest ...`.
        rows.into_iter()
            .map(|(row, all)| {
                let digest = all.as_deref().and_then(|all| {
                    all.split_ascii_whitespace().find_map(|pair| {
                        let (id, digest) = pair.split_once('=')?;
                        (id == row).then(|| digest.to_string())
                    })
                });
                (row, digest)
            })
            .collect()
    }

    pub(crate) fn select_versions(&self) -> String {
        format!(
            "SELECT version_num AS a, {} AS b FROM {}",
            self.null_text(),
            self.version
        )
    }

    pub(crate) fn select_table(&self, name: &str) -> (String, Vec<String>) {
        let null = self.null_text();
        match self.dialect {
            Dialect::Sqlite => (
                format!("SELECT name AS a, {null} AS b FROM sqlite_master WHERE type = 'table' AND name = ?"),
                vec![name.to_string()],
            ),
            Dialect::Postgres => match &self.schema {
                Some(schema) => (
                    format!("SELECT CAST(table_name AS TEXT) AS a, {null} AS b FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2"),
                    vec![schema.clone(), name.to_string()],
                ),
                None => (
                    format!("SELECT CAST(table_name AS TEXT) AS a, {null} AS b FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"),
                    vec![name.to_string()],
                ),
            },
            _ => (
                format!("SELECT CAST(table_name AS CHAR) AS a, {null} AS b FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"),
                vec![name.to_string()],
            ),
        }
    }

    /// The statement of one version-table operation, values as literals (ids are validated
    /// `[A-Za-z0-9_]` and quoted all the same): the live run and the offline script use it.
    pub(crate) fn version_statement(&self, op: &VersionOp) -> String {
        let q = |v: &str| self.dialect.quote_string(v);
        match op {
            VersionOp::Insert(v) => format!(
                "INSERT INTO {} (version_num) VALUES ({})",
                self.version,
                q(v)
            ),
            VersionOp::Update { from, to } => format!(
                "UPDATE {} SET version_num = {} WHERE version_num = {}",
                self.version,
                q(to),
                q(from)
            ),
            VersionOp::Delete(v) => {
                format!("DELETE FROM {} WHERE version_num = {}", self.version, q(v))
            }
        }
    }

    /// Appends the statement of one revision-log row.
    pub(crate) fn record_log(&self, entry: &LogEntry<'_>, out: &mut String) {
        self.log_insert(entry, out);
        out.push_str(";\n");
    }

    /// Appends the `INSERT` of one revision-log row, without its `;`.
    fn log_insert(&self, entry: &LogEntry<'_>, out: &mut String) {
        let q = |v: &str| self.dialect.quote_string(v);
        let (recorded_at, duration) = match (&entry.elapsed, self.dialect) {
            (Elapsed::Known(duration), _) => (
                q(&now_iso()),
                i64::try_from(duration.as_millis())
                    .unwrap_or(i64::MAX)
                    .to_string(),
            ),
            // The statement ends the revision's batch: the database's clock says how long the
            // batch took, so the row is written in the same round trip as the revision.
            (Elapsed::SinceBatchStart { started_at }, Dialect::Sqlite) => (
                "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')".to_string(),
                format!(
                    "MAX(0, CAST(ROUND((julianday('now') - julianday({})) * 86400000) AS INTEGER))",
                    q(started_at)
                ),
            ),
            (Elapsed::SinceBatchStart { .. }, _) => (
                "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')".to_string(),
                "CAST(GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - statement_timestamp()) * 1000) AS BIGINT)".to_string(),
            ),
        };
        out.push_str(&format!(
            "INSERT INTO {} (revision, direction, checksum, lineage, recorded_at, duration_ms) VALUES ({}, {}, {}, {}, {recorded_at}, {duration})",
            self.log,
            q(entry.revision),
            q(entry.direction),
            q(entry.checksum),
            q(entry.lineage),
        ));
    }

    /// The statement that ends a revision's batch on PostgreSQL (see [`Frame`]): one
    /// statement that moves the version table (`ops`, in data-modifying `WITH` clauses),
    /// writes the log row, and checks that the table held exactly `expected` (in any order)
    /// before the move, else fails on purpose by inserting NULL into `version_num`, Alembic's
    /// primary key. Every clause sees the table as the statement found it, and the statement
    /// follows the migration lock's, so it sees every revision a migrator that held the lock
    /// before committed. Its failure is typed (see [`Tables::is_guard_error`]).
    pub(crate) fn record_checked(
        &self,
        expected: &[String],
        ops: &[VersionOp],
        entry: &LogEntry<'_>,
        out: &mut String,
    ) {
        let mut rows: Vec<&str> = expected.iter().map(String::as_str).collect();
        rows.sort_unstable();
        out.push_str("WITH ");
        for (i, op) in ops.iter().enumerate() {
            out.push_str(&format!(
                "aludel_op{i} AS ({} RETURNING 1), ",
                self.version_statement(op)
            ));
        }
        out.push_str("aludel_log AS (");
        self.log_insert(entry, out);
        out.push_str(" RETURNING 1) ");
        out.push_str(&format!(
            "INSERT INTO {version} (version_num) SELECT CAST(NULL AS VARCHAR(32)) WHERE (SELECT COALESCE(string_agg(version_num, ' ' ORDER BY version_num COLLATE \"C\"), '') FROM {version}) <> {expected};\n",
            version = self.version,
            expected = self.dialect.quote_string(&rows.join(" "))
        ));
    }

    /// Whether `error` is the failure of [`Tables::record_checked`]: the version table was not
    /// what the plan expected (its NULL row, or a version-table move that collided with a row
    /// another migrator wrote).
    pub(crate) fn is_guard_error(&self, error: &diesel::result::Error) -> bool {
        use diesel::result::DatabaseErrorKind::{NotNullViolation, UniqueViolation};
        match error {
            diesel::result::Error::DatabaseError(
                kind @ (NotNullViolation | UniqueViolation),
                info,
            ) => {
                info.table_name() == Some(self.version_name.as_str())
                    && (matches!(kind, UniqueViolation)
                        || info.column_name() == Some("version_num"))
            }
            _ => false,
        }
    }

    pub(crate) fn delete_all_versions(&self) -> String {
        format!("DELETE FROM {};\n", self.version)
    }

    /// Appends the statement of one version-table operation.
    pub(crate) fn record_op(&self, op: &VersionOp, out: &mut String) {
        out.push_str(&self.version_statement(op));
        out.push_str(";\n");
    }

    /// Appends the statements that record the lineage digests of the version table's rows
    /// after a run (`heads`: each row with its digest), replacing what was recorded. Written
    /// once per run, with its last revision: a run interrupted earlier leaves the previous
    /// record, which the next run's drift check completes from the log.
    pub(crate) fn record_lineage(&self, heads: &[(String, String)], out: &mut String) {
        let q = |v: &str| self.dialect.quote_string(v);
        match self.dialect {
            Dialect::Postgres => {
                let text: Vec<String> = heads.iter().map(|(id, d)| format!("{id}={d}")).collect();
                out.push_str(&format!(
                    "CREATE OR REPLACE FUNCTION {}() RETURNS text LANGUAGE sql STABLE AS $aludel$ SELECT CAST({} AS text) $aludel$;\n",
                    self.lineage,
                    q(&text.join(" "))
                ));
            }
            _ => {
                out.push_str(&format!("DELETE FROM {};\n", self.lineage));
                if !heads.is_empty() {
                    let values: Vec<String> = heads
                        .iter()
                        .map(|(id, d)| format!("({}, {})", q(id), q(d)))
                        .collect();
                    out.push_str(&format!(
                        "INSERT INTO {} (revision, lineage) VALUES {};\n",
                        self.lineage,
                        values.join(", ")
                    ));
                }
            }
        }
    }

    pub(crate) fn select_checksums(&self) -> String {
        format!("SELECT revision AS a, checksum AS b FROM {} WHERE direction <> 'downgrade' ORDER BY id", self.log)
    }
}

/// The name of a constraint or index of table `base`: `<base><suffix>` (Alembic's
/// `alembic_version_pkc`), shortened to PostgreSQL's 63 bytes when the table's name is long:
/// the name keeps its first bytes and gains 8 hex digits of its hash. Unshortened, PostgreSQL
/// would cut `<63 characters>_pkc` back to the table's own name and refuse the constraint.
/// The name of the lineage record kept beside the log table `log`.
pub(crate) fn lineage_table(log: &str) -> String {
    derived_name(log, "_lineage")
}

pub(crate) fn derived_name(base: &str, suffix: &str) -> String {
    const LIMIT: usize = 63;
    if base.len() + suffix.len() <= LIMIT {
        return format!("{base}{suffix}");
    }
    let hash = u64::from_ne_bytes(lock_number(base).to_ne_bytes()) & 0xffff_ffff;
    let mut keep = LIMIT.saturating_sub(suffix.len() + 9);
    while !base.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}_{hash:08x}{suffix}", &base[..keep])
}

/// Whether the lineage record (see [`Tables::select_lineage_record`]) exists.
pub(crate) async fn lineage_exists<D: Driver>(d: &mut D, tables: &Tables) -> Result<bool, Error> {
    let (sql, binds) = tables.select_lineage_record();
    let binds: Vec<Bind<'_>> = binds.iter().map(|b| Bind::Text(b)).collect();
    let rows = d
        .pairs(&sql, &binds)
        .await
        .map_err(Error::db(format!("cannot look up {}", tables.lineage)))?;
    Ok(!rows.is_empty())
}

/// Whether a table exists.
pub(crate) async fn table_exists<D: Driver>(
    d: &mut D,
    tables: &Tables,
    name: &str,
) -> Result<bool, Error> {
    let (sql, binds) = tables.select_table(name);
    let binds: Vec<Bind<'_>> = binds.iter().map(|b| Bind::Text(b)).collect();
    let rows = d
        .pairs(&sql, &binds)
        .await
        .map_err(Error::db(format!("cannot look up table {name}")))?;
    Ok(!rows.is_empty())
}

/// One row of the revision log.
pub(crate) struct LogEntry<'a> {
    pub(crate) revision: &'a str,
    /// `upgrade`, `downgrade`, `stamp` or `accept`.
    pub(crate) direction: &'a str,
    pub(crate) checksum: &'a str,
    pub(crate) lineage: &'a str,
    pub(crate) elapsed: Elapsed,
}

/// How long the logged operation took.
pub(crate) enum Elapsed {
    /// Measured by aludel.
    Known(Duration),
    /// Since the batch that ends with the log row began (the revision's SQL and its records
    /// in one batch); `started_at` is when aludel sent it, for SQLite's clock.
    SinceBatchStart { started_at: String },
}

/// What one call changed on the caller's connection: SQLite's busy timeout and, for calls
/// that write, the run's lock (MySQL's `GET_LOCK`). Opened by [`open_read`] or [`open_write`]
/// and kept by the driver ([`Driver::session`]) until [`close`] sets the connection back as it
/// was, on every return path; a call that ends early (a panic, a dropped future) is closed by
/// the driver.
#[derive(Debug)]
pub(crate) struct Session {
    restore: Restore,
    /// The run's lock, once taken (sessions for writing).
    lock: Option<LockName>,
}

/// Opens a session for reading.
pub(crate) async fn open_read<D: Driver>(d: &mut D, options: &Options) -> Result<(), Error> {
    let restore = prepare(d, options).await?;
    *d.session() = Some(Session {
        restore,
        lock: None,
    });
    Ok(())
}

/// Opens a session for writing: the lock's name resolved, the run's lock taken; returns the
/// lock's name.
pub(crate) async fn open_write<D: Driver>(
    d: &mut D,
    tables: &Tables,
    options: &Options,
) -> Result<LockName, Error> {
    if d.dialect() == Dialect::Mysql && d.transaction_depth() > 0 {
        return Err(Error::OpenTransactionOnMysql);
    }
    open_read(d, options).await?;
    let taken = async {
        let lock = tables.lock_name(scope(d, tables.schema.as_deref()).await?);
        lock_run(d, &lock, options.lock_timeout).await?;
        Ok(lock)
    }
    .await;
    match taken {
        Ok(lock) => {
            if let Some(session) = d.session() {
                session.lock = Some(lock.clone());
            }
            Ok(lock)
        }
        Err(error) => {
            close(d).await;
            Err(error)
        }
    }
}

/// Ends the session: releases the run's lock and sets back what was changed. Failures are
/// logged: the lock is released when the connection closes.
pub(crate) async fn close<D: Driver>(d: &mut D) {
    let Some(session) = d.session().take() else {
        return;
    };
    if let Some(lock) = &session.lock {
        if let Err(err) = unlock_run(d, lock).await {
            tracing::warn!(error = %err, "could not release the migration lock; it is released when the connection closes");
        }
    }
    if let Err(err) = restore(d, &session.restore).await {
        tracing::warn!(error = %err, "could not set the connection back as it was");
    }
}

/// Runs `$body`, an expression that may use `$d` and `.await`, inside a session that `$open`
/// opens (its value bound to `$opened`), and closes the session whatever the body returned.
macro_rules! in_session {
    ($d:ident, $open:expr, |$opened:pat_param| $body:expr) => {{
        match $open.await {
            Err(error) => Err(error),
            Ok($opened) => {
                let result = async { $body }.await;
                $crate::db::close($d).await;
                result
            }
        }
    }};
}
pub(crate) use in_session;

/// Runs `$body`, an expression that may use `$d` and `.await`, in a transaction on `$d`
/// (diesel's transaction manager opens it: on SQLite an immediate one, which takes the write
/// lock; inside a transaction the caller opened, a savepoint). When the body fails its error is
/// returned even if the ROLLBACK fails too (on a lost MySQL connection, "Server has gone
/// away"), which would hide which revision failed and why.
macro_rules! in_transaction {
    ($d:ident, $body:expr) => {{
        match $d.begin($crate::db::begin_sql($d.dialect())).await {
            Err(error) => Err(::core::convert::From::from(error)),
            Ok(()) => match async { $body }.await {
                Ok(value) => match $d.commit().await {
                    Ok(()) => Ok(value),
                    Err(error) => Err(::core::convert::From::from(error)),
                },
                Err(error) => {
                    if let Err(rollback) = $d.rollback().await {
                        tracing::warn!(error = %rollback, "could not roll back aludel's transaction");
                    }
                    Err(error)
                }
            },
        }
    }};
}
pub(crate) use in_transaction;

/// The statement that opens aludel's own transactions: SQLite's immediate transaction (the
/// write lock, waiting up to the busy timeout); on PostgreSQL READ COMMITTED whatever
/// `default_transaction_isolation` says, as each statement after the migration lock must see
/// what the lock's previous holder committed.
pub(crate) fn begin_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => Frame::TRANSACTION.begin,
        _ => "BEGIN",
    }
}

/// How aludel frames a revision's transaction itself, so that a revision's `COMMIT` and the
/// next revision's `BEGIN` end its batch instead of costing round trips of their own
/// (PostgreSQL); `None` where diesel's transaction manager frames each revision.
pub(crate) fn frame<D: Driver>(d: &mut D) -> Option<Frame> {
    // diesel's transaction manager sees none of these statements: it reads the connection's
    // transaction status after each query, and every path of a revision ends the frame
    // before the run returns.
    (d.dialect() == Dialect::Postgres).then(|| {
        if d.transaction_depth() > 0 {
            Frame::SAVEPOINT
        } else {
            Frame::TRANSACTION
        }
    })
}

/// Before a transaction of aludel's own that runs Rust revisions: turns SQLite's
/// `PRAGMA foreign_keys` off where it is on (it cannot change inside a transaction, and a table
/// rebuild needs it off); returns whether it did. [`resume_foreign_keys`] turns it on again
/// after the transaction.
pub(crate) async fn suspend_foreign_keys<D: Driver>(d: &mut D) -> Result<bool, Error> {
    match d.dialect() {
        Dialect::Sqlite => sqlite::suspend_foreign_keys(d).await,
        _ => Ok(false),
    }
}

/// Turns foreign keys on again after [`suspend_foreign_keys`].
pub(crate) async fn resume_foreign_keys<D: Driver>(d: &mut D) -> Result<(), Error> {
    match d.dialect() {
        Dialect::Sqlite => sqlite::resume_foreign_keys(d).await,
        _ => Ok(()),
    }
}

/// Whether SQLite enforces foreign keys on this connection (`PRAGMA foreign_keys`); `false`
/// elsewhere.
pub(crate) async fn foreign_keys_on<D: Driver>(d: &mut D) -> Result<bool, Error> {
    match d.dialect() {
        Dialect::Sqlite => sqlite::foreign_keys_on(d).await,
        _ => Ok(false),
    }
}

/// The rows whose foreign key points at nothing (SQLite's `PRAGMA foreign_key_check`): at most
/// ten, and how many there are.
pub(crate) async fn foreign_key_violations<D: Driver>(
    d: &mut D,
) -> Result<(Vec<String>, usize), Error> {
    match d.dialect() {
        Dialect::Sqlite => sqlite::foreign_key_violations(d).await,
        _ => Ok((Vec::new(), 0)),
    }
}

/// Takes the lock held for a whole run (MySQL's `GET_LOCK`), waiting at most `timeout`.
pub(crate) async fn lock_run<D: Driver>(
    d: &mut D,
    lock: &LockName,
    timeout: Duration,
) -> Result<(), Error> {
    match d.dialect() {
        Dialect::Mysql => mysql::lock_run(d, lock, timeout).await,
        _ => Ok(()),
    }
}

/// Releases the lock of [`lock_run`].
pub(crate) async fn unlock_run<D: Driver>(d: &mut D, lock: &LockName) -> Result<(), Error> {
    match d.dialect() {
        Dialect::Mysql => mysql::unlock_run(d, lock).await,
        _ => Ok(()),
    }
}

/// Inside a transaction: takes the lock that keeps other migrators out until it ends
/// (PostgreSQL's transaction-level advisory lock, which holds behind a pooler in transaction
/// mode too), waiting at most `timeout`.
pub(crate) async fn lock_transaction<D: Driver>(
    d: &mut D,
    lock: &LockName,
    timeout: Duration,
) -> Result<(), Error> {
    match d.dialect() {
        Dialect::Postgres => postgres::lock(d, "pg_try_advisory_xact_lock", lock, timeout).await,
        _ => Ok(()),
    }
}

/// The start of a revision's transaction: [`lock_transaction`] and, for a tenant schema
/// ([`Options::schema_first`]), the schema first in the search path for this transaction
/// only, in the same round trip.
pub(crate) async fn enter_revision<D: Driver>(
    d: &mut D,
    tables: &Tables,
    lock: &LockName,
    timeout: Duration,
) -> Result<(), Error> {
    match (d.dialect(), &tables.search_path) {
        (Dialect::Postgres, Some(first)) => postgres::lock_in_schema(d, lock, first, timeout).await,
        _ => lock_transaction(d, lock, timeout).await,
    }
}

/// Puts a tenant schema first in the session's search path while a `transactional: false`
/// revision runs outside any transaction; returns the search path to set back with
/// [`leave_schema`]. `None` (and nothing done) without a tenant schema.
pub(crate) async fn enter_schema<D: Driver>(
    d: &mut D,
    tables: &Tables,
) -> Result<Option<String>, Error> {
    match (d.dialect(), &tables.search_path) {
        (Dialect::Postgres, Some(first)) => postgres::enter_schema(d, first).await.map(Some),
        _ => Ok(None),
    }
}

/// Sets the search path back after [`enter_schema`].
pub(crate) async fn leave_schema<D: Driver>(
    d: &mut D,
    previous: Option<String>,
) -> Result<(), Error> {
    match previous {
        Some(previous) => postgres::set_search_path(d, &previous).await,
        None => Ok(()),
    }
}

/// Takes the lock held while a `transactional: false` revision runs (PostgreSQL's
/// session-level advisory lock), waiting at most `timeout`.
pub(crate) async fn lock_session<D: Driver>(
    d: &mut D,
    lock: &LockName,
    timeout: Duration,
) -> Result<(), Error> {
    match d.dialect() {
        Dialect::Postgres => postgres::lock(d, "pg_try_advisory_lock", lock, timeout).await,
        _ => Ok(()),
    }
}

/// Releases the lock of [`lock_session`]; `false` when this connection did not hold it (a
/// pooler in transaction mode moved the session).
pub(crate) async fn unlock_session<D: Driver>(d: &mut D, lock: &LockName) -> Result<bool, Error> {
    match d.dialect() {
        Dialect::Postgres => postgres::unlock_session(d, lock).await,
        _ => Ok(true),
    }
}

/// Resolves the database and schema the tables live in (for the lock's name); `None` where the
/// connection has no name for them (SQLite).
pub(crate) async fn scope<D: Driver>(
    d: &mut D,
    schema: Option<&str>,
) -> Result<Option<String>, Error> {
    match d.dialect() {
        Dialect::Postgres => postgres::scope(d, schema).await,
        Dialect::Mysql => mysql::scope(d, schema).await,
        _ => Ok(None),
    }
}

/// Prepares the connection for a call (SQLite: the busy timeout) and returns what [`restore`]
/// sets back.
pub(crate) async fn prepare<D: Driver>(d: &mut D, options: &Options) -> Result<Restore, Error> {
    match d.dialect() {
        Dialect::Sqlite => sqlite::prepare(d, options).await,
        _ => Ok(Restore::Nothing),
    }
}

/// Sets back what [`prepare`] changed.
pub(crate) async fn restore<D: Driver>(d: &mut D, restore: &Restore) -> Result<(), Error> {
    match restore {
        Restore::BusyTimeout(ms) => d
            .batch(&format!("PRAGMA busy_timeout = {ms}"))
            .await
            .map_err(Error::db("cannot set SQLite's busy timeout back")),
        Restore::Nothing => Ok(()),
    }
}

/// Waits for a lock that `try_once` tries to take, backing off from 2 ms to 50 ms between
/// tries, at most `timeout` in all.
macro_rules! poll_lock {
    ($d:ident, $timeout:expr, $try_once:expr) => {{
        let timeout: ::std::time::Duration = $timeout;
        let started = ::std::time::Instant::now();
        let mut pause = ::std::time::Duration::from_millis(2);
        loop {
            let taken: Result<bool, $crate::error::Error> = async { $try_once }.await;
            match taken {
                Err(error) => break Err(error),
                Ok(true) => break Ok(()),
                Ok(false) if started.elapsed() >= timeout => {
                    break Err($crate::error::Error::LockTimeout {
                        timeout,
                        completed: Vec::new(),
                    })
                }
                Ok(false) => {
                    $d.pause(pause).await;
                    pause = (pause * 2).min(::std::time::Duration::from_millis(50));
                }
            }
        }
    }};
}
pub(crate) use poll_lock;

/// A stable 64-bit key for a lock name (FNV-1a), for PostgreSQL's advisory locks.
pub(crate) fn lock_number(key: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// The current time as ISO 8601 UTC, e.g. `2026-11-22T10:30:00.123Z`.
pub(crate) fn now_iso() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        let now = now_iso();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.starts_with("20"), "{now}");
        assert!(now.ends_with('Z'));
    }

    #[test]
    fn derived_names_fit_postgres() {
        assert_eq!(
            derived_name("alembic_version", "_pkc"),
            "alembic_version_pkc"
        );
        let long = "v".repeat(63);
        let name = derived_name(&long, "_pkc");
        assert_eq!(name.len(), 63);
        assert!(
            name.starts_with(&"v".repeat(50)) && name.ends_with("_pkc"),
            "{name}"
        );
        assert_ne!(name, derived_name(&"v".repeat(62), "_pkc"));
        let wide = "ü".repeat(31); // 62 bytes
        let name = derived_name(&wide, "_revision");
        assert!(name.len() <= 63 && name.ends_with("_revision"), "{name}");
    }

    #[test]
    fn placeholders_outside_quotes() {
        let found = |sql: &str| -> Vec<String> {
            placeholders(sql)
                .into_iter()
                .map(|(start, end, n)| format!("{}{n:?}", &sql[start..end]))
                .collect()
        };
        assert_eq!(
            found("SELECT a FROM \"t?$1\" WHERE x = ? AND y = ?"),
            ["?None", "?None"]
        );
        assert_eq!(
            found("UPDATE `a``?` SET v = $2 WHERE v = $1 AND w = '$3'"),
            ["$2Some(2)", "$1Some(1)"]
        );
        assert_eq!(found("SELECT '$' || $"), Vec::<String>::new());
    }

    #[test]
    fn lock_names_are_stable() {
        // Pinned: two builds that computed other keys would stop excluding each other during
        // a rolling deploy. (Computed independently: FNV-1a 64 and SHA-256 of the text.)
        let pg = LockName {
            text: "aludel:test.public.alembic_version".to_string(),
        };
        assert_eq!(pg.number(), 7_469_981_427_082_236_875);
        let mysql = LockName {
            text: "aludel:test.alembic_version".to_string(),
        };
        assert_eq!(
            mysql.short(),
            "aludel:c5d0e44b8fc1c2dec118f475252e25fd022a7042"
        );
        assert_ne!(lock_number("aludel:a"), lock_number("aludel:b"));
    }

    #[test]
    fn lock_names_come_from_the_resolved_scope() {
        let options = Options::default();
        let plain = Tables::new(Dialect::Postgres, &options).unwrap();
        let public = Tables::new(Dialect::Postgres, &options.clone().schema("public")).unwrap();
        // `schema: None` resolves to the connection's current schema, `public` here: one lock.
        assert_eq!(
            plain.lock_name(Some("test.public".to_string())),
            public.lock_name(Some("test.public".to_string()))
        );
        assert_ne!(
            plain.lock_name(Some("test.public".to_string())),
            plain.lock_name(Some("other.public".to_string()))
        );
    }
}

/// A row of two text columns, the shape of every query aludel reads.
#[derive(diesel::QueryableByName)]
pub(crate) struct Pair {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) a: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub(crate) b: Option<String>,
}

/// One of aludel's own statements with its bound values, run so that diesel keeps it prepared
/// on the connection: the statement cache is keyed by the SQL text, so the no-op check and the
/// version-table statements of every revision are parsed and planned once per connection.
/// (diesel's `sql_query` is never cached.)
pub(crate) struct Statement<'a> {
    sql: &'a str,
    binds: &'a [Bind<'a>],
}

impl<'a> Statement<'a> {
    pub(crate) fn new(sql: &'a str, binds: &'a [Bind<'a>]) -> Statement<'a> {
        Statement { sql, binds }
    }
}

/// Where the placeholders of `sql` are (`?`, or `$n` with its number), outside quoted
/// identifiers and string literals: a table named `a?b` is not a placeholder.
fn placeholders(sql: &str) -> Vec<(usize, usize, Option<usize>)> {
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            // A doubled quote inside quotes closes and reopens: the same state either way.
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' | b'`' => quote = Some(b),
                b'?' => found.push((i, i + 1, None)),
                b'$' => {
                    let digits = bytes[i + 1..]
                        .iter()
                        .take_while(|d| d.is_ascii_digit())
                        .count();
                    if digits > 0 {
                        let end = i + 1 + digits;
                        found.push((i, end, sql[i + 1..end].parse().ok()));
                        i = end;
                        continue;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    found
}

impl<DB> diesel::query_builder::QueryFragment<DB> for Statement<'_>
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<diesel::sql_types::Text>
        + diesel::sql_types::HasSqlType<diesel::sql_types::BigInt>,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
    i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        let mut last = 0;
        for (n, (start, end, number)) in placeholders(self.sql).into_iter().enumerate() {
            out.push_sql(&self.sql[last..start]);
            let index = number.map_or(n, |k| k.saturating_sub(1));
            match self.binds.get(index) {
                Some(Bind::Text(text)) => {
                    out.push_bind_param::<diesel::sql_types::Text, str>(*text)?;
                }
                Some(Bind::Int(int)) => {
                    out.push_bind_param::<diesel::sql_types::BigInt, i64>(int)?;
                }
                None => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        format!("placeholder {} of `{}` has no value", n + 1, self.sql).into(),
                    ))
                }
            }
            last = end;
        }
        out.push_sql(&self.sql[last..]);
        Ok(())
    }
}

impl diesel::query_builder::QueryId for Statement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for Statement<'_> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> diesel::RunQueryDsl<Conn> for Statement<'_> {}
