//! What a Rust revision's `upgrade` and `downgrade` receive: [`Op`], the revision's handle on
//! its database, inside the revision's transaction (unless the revision is
//! `transactional: false`).
//!
//! ```rust,ignore
//! //! revision: 4b1c2d3e4f50
//! //! down_revision: 3f2a9c1b7d4e
//! //! message: add email, backfilled from the name
//!
//! use aludel::op::Op;
//!
//! pub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {
//!     op.execute("ALTER TABLE users ADD COLUMN email TEXT")?;
//!     op.execute("UPDATE users SET email = name || '@example.com'")
//! }
//!
//! pub fn downgrade(op: &mut Op<'_>) -> aludel::Result<()> {
//!     op.execute("ALTER TABLE users DROP COLUMN email")
//! }
//! ```
//!
//! A data migration runs typed diesel queries on the revision's own connection, in the same
//! transaction as the revision's DDL: [`with_connection!`](crate::with_connection) whatever
//! the backend, [`Op::connection`] as one connection type.
//!
//! Every operation is rendered for the connection's dialect, names quoted; each one's docs show
//! its SQL per dialect:
//! - tables: [`Op::create_table`], [`Op::drop_table`], [`Op::rename_table`];
//! - columns: [`Op::add_column`], [`Op::drop_column`], [`Op::rename_column`],
//!   [`Op::alter_column`];
//! - constraints: [`Op::create_unique_constraint`], [`Op::create_check_constraint`],
//!   [`Op::create_foreign_key`], [`Op::drop_constraint`], [`Op::alter_primary_key`];
//! - indexes: [`Op::create_index`], [`Op::create_unique_index`], [`Op::drop_index`],
//!   [`Op::create_index_concurrently`], [`Op::drop_index_concurrently`];
//! - rows: [`Op::bulk_insert`];
//! - several changes to one table at once, on SQLite by one rebuild of the table:
//!   [`Op::batch_alter_table`].

use std::any::Any;

use aludel_graph::sql::Dialect;

use crate::error::Error;

mod change;
mod definition;
mod render;
mod types;

pub use change::Batch;
pub use types::{Action, Column, ColumnChange, ConstraintKind, ForeignKey, Type, Value};

use crate::db::Bind;
use change::Change;
use types::Constraint;

/// A Rust revision's function: `upgrade` or `downgrade`.
pub type RevisionFn = fn(&mut Op<'_>) -> crate::Result<()>;

/// What a Rust revision runs, as the macro embeds it.
#[derive(Debug, Clone, Copy)]
pub struct RustBody {
    /// The revision's `upgrade`.
    pub upgrade: RevisionFn,
    /// The revision's `downgrade`; `None` for an irreversible revision.
    pub downgrade: Option<RevisionFn>,
}

/// The rows of a query of two text columns, the second nullable.
pub(crate) type Pairs = Vec<(String, Option<String>)>;

/// Where an [`Op`]'s statements go: the connection of a live run.
pub(crate) trait Target {
    fn dialect(&self) -> Dialect;
    /// Runs SQL that may hold several statements.
    fn execute(&mut self, sql: &str) -> Result<(), Error>;
    /// The diesel connection itself; `None` offline, where statements are recorded.
    fn connection(&mut self) -> Option<&mut dyn Any>;
    /// The rows of a query with two text columns `a` and `b` (`b` nullable); `None` offline.
    fn pairs(&mut self, sql: &str, binds: &[Bind<'_>]) -> Option<Result<Pairs, Error>>;
    /// The statement that creates `table` as the database states it (SQLite's
    /// `sqlite_master`, MySQL's `SHOW CREATE TABLE`); `Some(Ok(None))` where there is no such
    /// table, `None` offline.
    fn table_sql(&mut self, table: &str) -> Option<Result<Option<String>, Error>>;
    /// SQLite's rows whose foreign key points at nothing: at most ten, and how many there are;
    /// `None` offline.
    fn foreign_key_violations(&mut self) -> Option<Result<(Vec<String>, usize), Error>>;
    /// Whether SQLite enforces foreign keys on the connection; `None` offline.
    fn foreign_keys_on(&mut self) -> Option<Result<bool, Error>>;
}

/// An offline run's target: records the statements for the script.
pub(crate) struct Recorder {
    pub(crate) dialect: Dialect,
    pub(crate) sql: String,
}

impl Target for Recorder {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn execute(&mut self, sql: &str) -> Result<(), Error> {
        push_statement(&mut self.sql, sql);
        Ok(())
    }

    fn connection(&mut self) -> Option<&mut dyn Any> {
        None
    }

    fn pairs(&mut self, _sql: &str, _binds: &[Bind<'_>]) -> Option<Result<Pairs, Error>> {
        None
    }

    fn table_sql(&mut self, _table: &str) -> Option<Result<Option<String>, Error>> {
        None
    }

    fn foreign_key_violations(&mut self) -> Option<Result<(Vec<String>, usize), Error>> {
        None
    }

    fn foreign_keys_on(&mut self) -> Option<Result<bool, Error>> {
        None
    }
}

/// Appends SQL to a script, ended by `;` and a new line.
fn push_statement(script: &mut String, sql: &str) {
    let sql = sql.trim();
    if !sql.is_empty() {
        script.push_str(sql);
        if !sql.ends_with(';') {
            // After a line comment the `;` needs a line of its own.
            if sql.lines().last().is_some_and(|line| line.contains("--")) {
                script.push('\n');
            }
            script.push(';');
        }
        script.push('\n');
    }
}

/// A live target that also records what it runs.
struct Recording<T: Target> {
    live: T,
    sql: String,
}

impl<T: Target> Target for Recording<T> {
    fn dialect(&self) -> Dialect {
        self.live.dialect()
    }

    fn execute(&mut self, sql: &str) -> Result<(), Error> {
        self.live.execute(sql)?;
        push_statement(&mut self.sql, sql);
        Ok(())
    }

    fn connection(&mut self) -> Option<&mut dyn Any> {
        self.live.connection()
    }

    fn pairs(&mut self, sql: &str, binds: &[Bind<'_>]) -> Option<Result<Pairs, Error>> {
        self.live.pairs(sql, binds)
    }

    fn table_sql(&mut self, table: &str) -> Option<Result<Option<String>, Error>> {
        self.live.table_sql(table)
    }

    fn foreign_key_violations(&mut self) -> Option<Result<(Vec<String>, usize), Error>> {
        self.live.foreign_key_violations()
    }

    fn foreign_keys_on(&mut self) -> Option<Result<bool, Error>> {
        self.live.foreign_keys_on()
    }
}

/// Runs operations on `conn`, outside any revision (no transaction of aludel's, no version
/// table), and returns the SQL they ran, each statement ended by `;` on its own line: the
/// body of an SQL revision that does what they do on this database. Definitions an operation
/// reads from the database (a SQLite rebuild, a MySQL `MODIFY`) are read from `conn`. SQLite's
/// foreign keys are off around the operations where they were on, as a rebuild needs.
///
/// `aludel revision --autogenerate` writes SQL revisions with it, from the operations it runs
/// on a scratch copy of the history.
pub fn record<C: crate::MigrationConnection>(
    conn: &mut C,
    ops: impl FnOnce(&mut Op<'_>) -> crate::Result<()>,
) -> crate::Result<String> {
    use crate::drive::{complete, sync::on_connection};
    on_connection!(conn, |d| {
        let suspended = complete(crate::db::suspend_foreign_keys(d))?;
        let result = {
            let mut recording = Recording {
                live: d.live(),
                sql: String::new(),
            };
            ops(&mut Op::new(&mut recording)).map(|()| recording.sql)
        };
        if suspended {
            complete(crate::db::resume_foreign_keys(d))?;
        }
        result
    })
}

/// A Rust revision's handle on its database: runs SQL in the revision's transaction and lends
/// out the revision's diesel connection for typed queries.
pub struct Op<'a> {
    target: &'a mut dyn Target,
}

impl std::fmt::Debug for Op<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Op")
            .field("dialect", &self.target.dialect())
            .finish_non_exhaustive()
    }
}

impl<'a> Op<'a> {
    pub(crate) fn new(target: &'a mut dyn Target) -> Self {
        Op { target }
    }

    /// The SQL dialect of the database the revision runs on, for SQL that differs between
    /// SQLite, PostgreSQL and MySQL.
    pub fn dialect(&self) -> Dialect {
        self.target.dialect()
    }

    /// Runs raw SQL, one statement or several separated by `;`, in the revision's transaction.
    /// In a `transactional: false` revision on PostgreSQL each statement runs on its own
    /// (as `CREATE INDEX CONCURRENTLY` requires).
    pub fn execute(&mut self, sql: &str) -> crate::Result<()> {
        self.target.execute(sql)
    }

    /// `CREATE TABLE` with these columns; the columns marked [`Column::primary_key`] form
    /// its primary key, in order, followed by the columns' [`Column::unique`] and
    /// [`Column::references`] constraints (declared with the table, which every dialect,
    /// SQLite included, accepts).
    ///
    /// ```text
    /// op.create_table("users", &[Column::new("id", Type::Integer).primary_key(),
    ///                            Column::new("name", Type::Varchar(100)).not_null()])
    /// SQLite, PostgreSQL: CREATE TABLE "users" ("id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, PRIMARY KEY ("id"))
    /// MySQL:              CREATE TABLE `users` (`id` INT NOT NULL, `name` VARCHAR(100) NOT NULL, PRIMARY KEY (`id`))
    /// ```
    pub fn create_table(&mut self, table: &str, columns: &[Column]) -> crate::Result<()> {
        let sql = render::create_table(self.dialect(), table, columns);
        self.execute(&sql)
    }

    /// `DROP TABLE "table"` (MySQL: `` DROP TABLE `table` ``).
    pub fn drop_table(&mut self, table: &str) -> crate::Result<()> {
        let sql = render::drop_table(self.dialect(), table);
        self.execute(&sql)
    }

    /// `ALTER TABLE "from" RENAME TO "to"`, on every dialect.
    pub fn rename_table(&mut self, from: &str, to: &str) -> crate::Result<()> {
        let sql = render::rename_table(self.dialect(), from, to);
        self.execute(&sql)
    }

    /// Adds a column, with its [`Column::unique`] and [`Column::references`] constraints
    /// (every database refuses a `NOT NULL` column without a default on a table that has
    /// rows).
    ///
    /// ```text
    /// op.add_column("posts", Column::new("user_id", Type::Integer).references("users", "id"))
    /// PostgreSQL, MySQL: ALTER TABLE "posts" ADD COLUMN "user_id" INTEGER, ADD CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id")
    /// SQLite:            ALTER TABLE "posts" ADD COLUMN "user_id" INTEGER CONSTRAINT "posts_user_id_fkey" REFERENCES "users" ("id")
    ///                    (a unique or primary-key column: the table rebuilt, see Op::batch_alter_table)
    /// ```
    pub fn add_column(&mut self, table: &str, column: Column) -> crate::Result<()> {
        self.apply(table, vec![Change::AddColumn(column)])
    }

    /// `ALTER TABLE "table" DROP COLUMN "column"`, on every dialect. PostgreSQL drops the
    /// indexes and constraints that involve the column with it; SQLite refuses a column in an
    /// index, a key or a constraint, which [`Batch::drop_column`] in
    /// [`Op::batch_alter_table`] drops by rebuilding the table.
    pub fn drop_column(&mut self, table: &str, column: &str) -> crate::Result<()> {
        self.apply(
            table,
            vec![Change::DropColumn {
                column: column.to_string(),
                native: true,
            }],
        )
    }

    /// `ALTER TABLE "table" RENAME COLUMN "from" TO "to"`, on every dialect (MySQL 8,
    /// MariaDB 10.5 and later).
    pub fn rename_column(&mut self, table: &str, from: &str, to: &str) -> crate::Result<()> {
        let sql = render::rename_column(self.dialect(), table, from, to);
        self.execute(&sql)
    }

    /// `CREATE INDEX "name" ON "table" ("a", "b")`, on every dialect.
    pub fn create_index(&mut self, name: &str, table: &str, columns: &[&str]) -> crate::Result<()> {
        let sql = render::create_index(self.dialect(), name, table, columns, false, false);
        self.execute(&sql)
    }

    /// `CREATE UNIQUE INDEX "name" ON "table" ("a", "b")`, on every dialect.
    pub fn create_unique_index(
        &mut self,
        name: &str,
        table: &str,
        columns: &[&str],
    ) -> crate::Result<()> {
        let sql = render::create_index(self.dialect(), name, table, columns, true, false);
        self.execute(&sql)
    }

    /// `CREATE [UNIQUE] INDEX CONCURRENTLY "name" ON "table" (..)` on PostgreSQL, which builds
    /// the index without locking out writes and cannot run in a transaction: the revision must
    /// be `transactional: false`. A plain `CREATE [UNIQUE] INDEX` elsewhere.
    pub fn create_index_concurrently(
        &mut self,
        name: &str,
        table: &str,
        columns: &[&str],
        unique: bool,
    ) -> crate::Result<()> {
        let sql = render::create_index(self.dialect(), name, table, columns, unique, true);
        self.execute(&sql)
    }

    /// `DROP INDEX CONCURRENTLY "name"` on PostgreSQL (in a `transactional: false` revision);
    /// [`Op::drop_index`] elsewhere.
    pub fn drop_index_concurrently(&mut self, name: &str, table: &str) -> crate::Result<()> {
        let sql = render::drop_index_concurrently(self.dialect(), name, table);
        self.execute(&sql)
    }

    /// `DROP INDEX "name"` (MySQL: `` DROP INDEX `name` ON `table` ``, which needs the table).
    pub fn drop_index(&mut self, name: &str, table: &str) -> crate::Result<()> {
        let sql = render::drop_index(self.dialect(), name, table);
        self.execute(&sql)
    }

    /// Changes a column's type, nullability or default (Alembic's `alter_column`).
    ///
    /// ```text
    /// op.alter_column("users", "age", ColumnChange::new().set_type(Type::BigInt).not_null())
    /// PostgreSQL: ALTER TABLE "users" ALTER COLUMN "age" TYPE BIGINT USING "age"::BIGINT, ALTER COLUMN "age" SET NOT NULL
    /// MySQL:      ALTER TABLE `users` MODIFY COLUMN `age` BIGINT NOT NULL DEFAULT '0' COMMENT 'years'
    ///             (the column restated as SHOW CREATE TABLE gives it, with the change made;
    ///             a change of the default alone is ALTER COLUMN `age` SET DEFAULT ..)
    /// SQLite:     the table rebuilt (see Op::batch_alter_table)
    /// ```
    ///
    /// On MySQL (a change of type or nullability) and on SQLite the definition is read from
    /// the database, so an offline script refuses the revision: it needs a live database.
    pub fn alter_column(
        &mut self,
        table: &str,
        column: &str,
        change: ColumnChange,
    ) -> crate::Result<()> {
        self.apply(
            table,
            vec![Change::AlterColumn {
                column: column.to_string(),
                change,
            }],
        )
    }

    /// Adds a unique constraint on columns of an existing table.
    ///
    /// ```text
    /// op.create_unique_constraint("users_email_key", "users", &["email"])
    /// PostgreSQL, MySQL: ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE ("email")
    /// SQLite:            the table rebuilt with the constraint
    /// ```
    pub fn create_unique_constraint(
        &mut self,
        name: &str,
        table: &str,
        columns: &[&str],
    ) -> crate::Result<()> {
        let constraint = Constraint::Unique(columns.iter().map(|c| c.to_string()).collect());
        self.add_constraint(table, name, constraint)
    }

    /// Adds a check constraint: `condition` is SQL, written as is (MySQL 8.0.16 and later,
    /// MariaDB 10.2 and later enforce it).
    ///
    /// ```text
    /// op.create_check_constraint("users_age_check", "users", "age >= 0")
    /// PostgreSQL, MySQL: ALTER TABLE "users" ADD CONSTRAINT "users_age_check" CHECK (age >= 0)
    /// SQLite:            the table rebuilt with the constraint
    /// ```
    pub fn create_check_constraint(
        &mut self,
        name: &str,
        table: &str,
        condition: &str,
    ) -> crate::Result<()> {
        self.add_constraint(table, name, Constraint::Check(condition.to_string()))
    }

    /// Adds a foreign key to an existing table.
    ///
    /// ```text
    /// op.create_foreign_key("posts_user_id_fkey", "posts",
    ///     ForeignKey::new(&["user_id"], "users", &["id"]).on_delete(Action::Cascade))
    /// PostgreSQL, MySQL: ALTER TABLE "posts" ADD CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
    /// SQLite:            the table rebuilt with the foreign key
    /// ```
    pub fn create_foreign_key(
        &mut self,
        name: &str,
        table: &str,
        key: ForeignKey,
    ) -> crate::Result<()> {
        self.add_constraint(table, name, Constraint::ForeignKey(key))
    }

    fn add_constraint(
        &mut self,
        table: &str,
        name: &str,
        constraint: Constraint,
    ) -> crate::Result<()> {
        self.apply(
            table,
            vec![Change::AddConstraint {
                name: name.to_string(),
                constraint,
            }],
        )
    }

    /// Drops a named constraint.
    ///
    /// ```text
    /// op.drop_constraint("posts_user_id_fkey", "posts", ConstraintKind::ForeignKey)
    /// PostgreSQL: ALTER TABLE "posts" DROP CONSTRAINT "posts_user_id_fkey"
    /// MySQL:      ALTER TABLE `posts` DROP FOREIGN KEY `posts_user_id_fkey`
    ///             (a unique constraint: DROP INDEX; a check: DROP CONSTRAINT)
    /// SQLite:     the table rebuilt without it (SQLite knows a constraint by name where the
    ///             table's definition says CONSTRAINT name, as op's own constraints do)
    /// ```
    pub fn drop_constraint(
        &mut self,
        name: &str,
        table: &str,
        kind: ConstraintKind,
    ) -> crate::Result<()> {
        self.apply(
            table,
            vec![Change::DropConstraint {
                name: name.to_string(),
                kind,
            }],
        )
    }

    /// Replaces the table's primary key with one of `columns`, in that order (none: the table
    /// keeps no primary key).
    ///
    /// ```text
    /// op.alter_primary_key("memberships", &["team_id", "user_id"])
    /// PostgreSQL: ALTER TABLE "memberships" DROP CONSTRAINT "memberships_pkey", ADD PRIMARY KEY ("team_id", "user_id")
    ///             (the current key's name read from the database; offline, <table>_pkey)
    /// MySQL:      ALTER TABLE `memberships` DROP PRIMARY KEY, ADD PRIMARY KEY (`team_id`, `user_id`)
    /// SQLite:     the table rebuilt with the key
    /// ```
    ///
    /// Where other tables' foreign keys reference the current key, PostgreSQL and MySQL refuse
    /// to drop it: drop those first and create them again afterwards.
    pub fn alter_primary_key(&mut self, table: &str, columns: &[&str]) -> crate::Result<()> {
        self.apply(
            table,
            vec![Change::PrimaryKey {
                columns: columns.iter().map(|c| c.to_string()).collect(),
            }],
        )
    }

    /// Several changes to one table, applied together (Alembic's `batch_alter_table`). On
    /// SQLite, whose `ALTER TABLE` cannot change a column or a constraint, they are made by
    /// one rebuild of the table ("move and copy"), inside the revision's transaction:
    ///
    /// ```text
    /// op.batch_alter_table("users", |batch| {
    ///     batch.alter_column("name", ColumnChange::new().not_null())
    ///          .drop_column("nickname")
    ///          .create_unique_constraint("users_name_key", &["name"]);
    ///     Ok(())
    /// })
    /// SQLite: DROP VIEW .. and DROP TRIGGER .. (every view and trigger, created again below)
    ///         CREATE TABLE "_aludel_batch_users" (.. the table's definition, changed ..)
    ///         INSERT INTO "_aludel_batch_users" (..) SELECT .. FROM "users"
    ///         DROP TABLE "users"
    ///         ALTER TABLE "_aludel_batch_users" RENAME TO "users"
    ///         CREATE INDEX .. (the table's indexes, but those on a dropped column)
    ///         CREATE TRIGGER .., CREATE VIEW .. (as they were)
    /// PostgreSQL, MySQL: one ALTER TABLE statement per change, in order
    /// ```
    ///
    /// The rest of the table's definition stays as written: its other columns, keys,
    /// checks, collations, `AUTOINCREMENT`, `WITHOUT ROWID`. Renames of columns run first,
    /// with SQLite's own `RENAME COLUMN`; the other changes name columns by their new
    /// names. Dropping a column drops the indexes and table constraints that involve it, as
    /// PostgreSQL does. With `PRAGMA foreign_keys = ON`, dropping the old table would fire
    /// the foreign keys of the tables that reference it, and SQLite cannot turn them off
    /// inside a transaction: aludel turns them off before it opens a Rust revision's
    /// transaction on SQLite (libsqlite3-sys builds SQLite with them on by default) and,
    /// before the revision commits, checks with `PRAGMA foreign_key_check` that it left no
    /// more rows whose foreign key points at nothing than there were before it (else it
    /// fails), as SQLite's documentation prescribes for schema changes; the setting is
    /// restored afterwards. So in a SQLite Rust revision, `ON DELETE` actions do not fire.
    /// In a `transactional: false` revision the rebuild is a transaction of its own (a
    /// savepoint), with foreign keys off around it where they were on and checked before it
    /// commits. Inside the caller's transaction, where they cannot be turned off, a rebuild
    /// of a table that others reference is refused. The rebuild reads the definitions from
    /// the database, so an offline script refuses the revision.
    pub fn batch_alter_table(
        &mut self,
        table: &str,
        changes: impl FnOnce(&mut Batch) -> crate::Result<()>,
    ) -> crate::Result<()> {
        let mut batch = Batch::default();
        changes(&mut batch)?;
        if batch.changes.is_empty() {
            return Ok(());
        }
        self.apply(table, batch.changes)
    }

    /// Inserts rows given as values (Alembic's `bulk_insert`): each value written as a literal
    /// of the dialect, at most 500 rows per `INSERT`. A row with another number of values than
    /// there are columns is an error before anything is sent.
    ///
    /// ```text
    /// op.bulk_insert("users", &["id", "name", "admin"], &[
    ///     vec![1.into(), "ada".into(), true.into()],
    ///     vec![2.into(), "o'hara".into(), Value::Null],
    /// ])
    /// SQLite:     INSERT INTO "users" ("id", "name", "admin") VALUES (1, 'ada', 1), (2, 'o''hara', NULL)
    /// PostgreSQL: INSERT INTO "users" ("id", "name", "admin") VALUES (1, 'ada', TRUE), (2, 'o''hara', NULL)
    /// MySQL:      INSERT INTO `users` (`id`, `name`, `admin`) VALUES (1, 'ada', TRUE), (2, 'o''hara', NULL)
    /// ```
    pub fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> crate::Result<()> {
        let statements = render::bulk_insert(self.dialect(), table, columns, rows)
            .map_err(|message| Error::RevisionSql { message })?;
        for statement in statements {
            self.execute(&statement)?;
        }
        Ok(())
    }

    /// The revision's diesel connection, for typed diesel queries (a data migration), in the
    /// revision's transaction: `C` is the connection type the history is applied with
    /// (`diesel::SqliteConnection`, `diesel::PgConnection`, `diesel::MysqlConnection`).
    /// Fails with [`Error::OtherConnection`] when the run uses another type, and with
    /// [`Error::NeedsLiveDatabase`] offline (`--sql`, [`Migrator::sql`](crate::Migrator::sql)),
    /// which refuses such a revision by name.
    ///
    /// ```rust,ignore
    /// use diesel::prelude::*;
    ///
    /// pub fn upgrade(op: &mut aludel::op::Op<'_>) -> aludel::Result<()> {
    ///     op.execute("ALTER TABLE users ADD COLUMN email TEXT")?;
    ///     let conn = op.connection::<diesel::SqliteConnection>()?;
    ///     diesel::sql_query("UPDATE users SET email = name || '@example.com'").execute(conn)?;
    ///     Ok(())
    /// }
    /// ```
    pub fn connection<C: 'static>(&mut self) -> crate::Result<&mut C> {
        let dialect = self.target.dialect();
        self.target
            .connection()
            .ok_or_else(|| Error::NeedsLiveDatabase {
                why: "it queries its diesel connection".into(),
            })?
            .downcast_mut::<C>()
            .ok_or_else(|| Error::OtherConnection {
                asked: std::any::type_name::<C>(),
                dialect,
            })
    }
}

/// Runs typed diesel code on a Rust revision's connection, whatever the backend the history is
/// applied to: the body is compiled once for each backend aludel is built with (its features
/// `sqlite`, `postgres`, `mysql`), with the connection bound to that backend's diesel
/// connection, and the one for the run's backend runs. The body evaluates to an
/// [`aludel::Result`](crate::Result); a diesel error converts with `?`.
///
/// A history applied to SQLite in development and PostgreSQL in production writes its data
/// migrations with it, instead of one [`Op::connection`] call per connection type:
///
/// ```rust,ignore
/// use aludel::op::{Column, Op, Type};
/// use diesel::prelude::*;
///
/// mod schema {
///     // The table as this revision finds it.
///     diesel::table! { users (id) { id -> Integer, name -> Text, handle -> Nullable<Text> } }
/// }
/// use schema::users;
///
/// pub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {
///     op.add_column("users", Column::new("handle", Type::Text))?;
///     aludel::with_connection!(op, |conn| {
///         let rows: Vec<(i32, String)> = users::table.select((users::id, users::name)).load(conn)?;
///         for (id, name) in rows {
///             diesel::update(users::table.find(id))
///                 .set(users::handle.eq(name.to_lowercase()))
///                 .execute(conn)?;
///         }
///         Ok(())
///     })
/// }
/// ```
///
/// Offline it fails as [`Op::connection`] does, so that `--sql` refuses the revision by name.
#[macro_export]
macro_rules! with_connection {
    ($op:expr, |$conn:ident| $body:expr) => {{
        let op: &mut $crate::op::Op<'_> = $op;
        let dialect = op.dialect();
        'run: {
            $crate::__if_sqlite! {
                if dialect == $crate::Dialect::Sqlite {
                    break 'run match op.connection::<$crate::__private::SqliteConnection>() {
                        Ok($conn) => $crate::op::__result($body),
                        Err(error) => Err(error),
                    };
                }
            }
            $crate::__if_postgres! {
                if dialect == $crate::Dialect::Postgres {
                    break 'run match op.connection::<$crate::__private::PgConnection>() {
                        Ok($conn) => $crate::op::__result($body),
                        Err(error) => Err(error),
                    };
                }
            }
            $crate::__if_mysql! {
                if dialect == $crate::Dialect::Mysql {
                    break 'run match op.connection::<$crate::__private::MysqlConnection>() {
                        Ok($conn) => $crate::op::__result($body),
                        Err(error) => Err(error),
                    };
                }
            }
            Err($crate::Error::NeedsLiveDatabase {
                why: format!("it queries its diesel connection, and aludel is built without the {dialect:?} backend"),
            })
        }
    }};
}

/// Gives the body of [`with_connection!`] its type.
#[doc(hidden)]
pub fn __result<T>(result: crate::Result<T>) -> crate::Result<T> {
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorder_ends_every_statement() {
        let mut recorder = Recorder {
            dialect: Dialect::Sqlite,
            sql: String::new(),
        };
        recorder.execute("SELECT 1").unwrap();
        recorder.execute("SELECT 2; ").unwrap();
        recorder.execute("SELECT 3 -- three").unwrap();
        recorder.execute("  ").unwrap();
        assert_eq!(recorder.sql, "SELECT 1;\nSELECT 2;\nSELECT 3 -- three\n;\n");
    }

    #[test]
    fn every_operation_renders_for_every_dialect() {
        let columns = [
            Column::new("id", Type::Integer).primary_key(),
            Column::new("name", Type::Varchar(100)).not_null(),
            Column::new("score", Type::Double).default_sql("0"),
        ];
        assert_eq!(
            render::create_table(Dialect::Sqlite, "users", &columns),
            r#"CREATE TABLE "users" ("id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, "score" REAL DEFAULT 0, PRIMARY KEY ("id"))"#
        );
        assert_eq!(
            render::create_table(Dialect::Postgres, "users", &columns),
            r#"CREATE TABLE "users" ("id" INTEGER NOT NULL, "name" VARCHAR(100) NOT NULL, "score" DOUBLE PRECISION DEFAULT 0, PRIMARY KEY ("id"))"#
        );
        assert_eq!(
            render::create_table(Dialect::Mysql, "users", &columns),
            "CREATE TABLE `users` (`id` INT NOT NULL, `name` VARCHAR(100) NOT NULL, `score` DOUBLE DEFAULT 0, PRIMARY KEY (`id`))"
        );
        assert_eq!(
            render::create_table(
                Dialect::Postgres,
                "posts",
                &[
                    Column::new("id", Type::Integer).primary_key(),
                    Column::new("user_id", Type::Integer)
                        .not_null()
                        .references("users", "id"),
                    Column::new("slug", Type::Varchar(80)).unique(),
                ]
            ),
            r#"CREATE TABLE "posts" ("id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL, "slug" VARCHAR(80), PRIMARY KEY ("id"), CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id"), CONSTRAINT "posts_slug_key" UNIQUE ("slug"))"#
        );
        let owner = Column::new("owner", Type::Integer)
            .references("users", "id")
            .on_delete(Action::Cascade);
        assert_eq!(
            render::add_column(Dialect::Postgres, "posts", &owner),
            r#"ALTER TABLE "posts" ADD COLUMN "owner" INTEGER, ADD CONSTRAINT "posts_owner_fkey" FOREIGN KEY ("owner") REFERENCES "users" ("id") ON DELETE CASCADE"#
        );
        assert_eq!(
            render::add_column(Dialect::Sqlite, "posts", &owner),
            r#"ALTER TABLE "posts" ADD COLUMN "owner" INTEGER CONSTRAINT "posts_owner_fkey" REFERENCES "users" ("id") ON DELETE CASCADE"#
        );
        assert!(!render::sqlite_adds_natively(
            &Column::new("code", Type::Text).unique()
        ));
        assert_eq!(
            render::add_column(
                Dialect::Mysql,
                "t",
                &Column::new("code", Type::Text).unique()
            ),
            "ALTER TABLE `t` ADD COLUMN `code` TEXT, ADD CONSTRAINT `t_code_key` UNIQUE (`code`)"
        );
        assert_eq!(
            render::alter_column_postgres(
                "users",
                "age",
                &ColumnChange::new()
                    .set_type(Type::BigInt)
                    .not_null()
                    .drop_default()
            ),
            r#"ALTER TABLE "users" ALTER COLUMN "age" TYPE BIGINT USING "age"::BIGINT, ALTER COLUMN "age" SET NOT NULL, ALTER COLUMN "age" DROP DEFAULT"#
        );
        assert_eq!(
            render::alter_column_postgres(
                "t",
                "price",
                &ColumnChange::new()
                    .set_type(Type::Integer)
                    .using("round(price * 100)")
                    .nullable()
                    .set_default("0")
            ),
            r#"ALTER TABLE "t" ALTER COLUMN "price" TYPE INTEGER USING round(price * 100), ALTER COLUMN "price" DROP NOT NULL, ALTER COLUMN "price" SET DEFAULT 0"#
        );
        assert_eq!(
            render::alter_default(Dialect::Mysql, "t", "c", Some("'x'")),
            "ALTER TABLE `t` ALTER COLUMN `c` SET DEFAULT 'x'"
        );
        let check = Constraint::Check("age >= 0".into());
        assert_eq!(
            render::add_constraint(Dialect::Mysql, "users", "users_age_check", &check),
            "ALTER TABLE `users` ADD CONSTRAINT `users_age_check` CHECK (age >= 0)"
        );
        for (kind, mysql) in [
            (ConstraintKind::ForeignKey, "DROP FOREIGN KEY"),
            (ConstraintKind::Unique, "DROP INDEX"),
            (ConstraintKind::Check, "DROP CONSTRAINT"),
        ] {
            assert_eq!(
                render::drop_constraint(Dialect::Mysql, "t", "n", kind),
                format!("ALTER TABLE `t` {mysql} `n`")
            );
            assert_eq!(
                render::drop_constraint(Dialect::Postgres, "t", "n", kind),
                r#"ALTER TABLE "t" DROP CONSTRAINT "n""#
            );
        }
        assert_eq!(
            render::drop_index(Dialect::Postgres, "i", "t"),
            r#"DROP INDEX "i""#
        );
        assert_eq!(
            render::create_index(Dialect::Postgres, "i", "t", &["a"], false, true),
            r#"CREATE INDEX CONCURRENTLY "i" ON "t" ("a")"#
        );
        assert_eq!(
            render::drop_index_concurrently(Dialect::Postgres, "i", "t"),
            r#"DROP INDEX CONCURRENTLY "i""#
        );
        assert_eq!(
            render::drop_index_concurrently(Dialect::Mysql, "i", "t"),
            "DROP INDEX `i` ON `t`"
        );
        assert_eq!(
            render::drop_index(Dialect::Mysql, "i", "t"),
            "DROP INDEX `i` ON `t`"
        );
        assert_eq!(
            render::create_index(Dialect::Sqlite, "i", "t", &["a", "b"], true, true),
            r#"CREATE UNIQUE INDEX "i" ON "t" ("a", "b")"#
        );
        assert_eq!(
            render::rename_column(Dialect::Mysql, "t", "a", "b"),
            "ALTER TABLE `t` RENAME COLUMN `a` TO `b`"
        );
        let rows = vec![
            vec![Value::from(1), "o'ha\\ra".into(), true.into(), Value::Null],
            vec![
                2.into(),
                "é".into(),
                false.into(),
                vec![0xde_u8, 0xad].into(),
            ],
        ];
        let cols = ["id", "name", "flag", "data"];
        assert_eq!(
            render::bulk_insert(Dialect::Sqlite, "t", &cols, &rows).unwrap(),
            [
                r#"INSERT INTO "t" ("id", "name", "flag", "data") VALUES (1, 'o''ha\ra', 1, NULL), (2, 'é', 0, X'dead')"#
            ]
        );
        assert_eq!(
            render::bulk_insert(Dialect::Mysql, "t", &cols, &rows).unwrap(),
            [
                r"INSERT INTO `t` (`id`, `name`, `flag`, `data`) VALUES (1, 'o''ha\\ra', TRUE, NULL), (2, 'é', FALSE, X'dead')"
            ]
        );
        assert_eq!(
            render::bulk_insert(Dialect::Postgres, "t", &cols, &rows[1..]).unwrap(),
            [
                r#"INSERT INTO "t" ("id", "name", "flag", "data") VALUES (2, 'é', FALSE, decode('dead', 'hex'))"#
            ]
        );
        let many: Vec<Vec<Value>> = (0..1001).map(|i| vec![Value::from(i)]).collect();
        assert_eq!(
            render::bulk_insert(Dialect::Sqlite, "t", &["id"], &many)
                .unwrap()
                .len(),
            3
        );
        let short =
            render::bulk_insert(Dialect::Sqlite, "t", &cols, &[vec![1.into()]]).unwrap_err();
        assert_eq!(
            short,
            "bulk_insert into t: row 1 has 1 values for 4 columns"
        );
        assert!(
            render::bulk_insert(Dialect::Sqlite, "t", &["x"], &[vec![f64::NAN.into()]]).is_err()
        );
        // Names are quoted: a quote in a name is doubled, never ends the identifier.
        assert_eq!(
            render::drop_table(Dialect::Postgres, "we\"ird"),
            r#"DROP TABLE "we""ird""#
        );
    }
}
