//! What a revision runs, owned by the runtime: the SQL sections of its file, or the functions
//! the macro compiled from it. The graph holds what a revision is (its id, its parents, its
//! checksum); a migrator looks the body up per revision when it runs one.

use aludel_graph::sql::{split_statements, Dialect};
use aludel_graph::Direction;

use crate::op::{RevisionFn, RustBody};

/// A revision's body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Body<'a> {
    /// An SQL revision's sections; `downgrade` is `None` for an irreversible revision.
    Sql {
        upgrade: &'a str,
        downgrade: Option<&'a str>,
    },
    /// A Rust revision's functions.
    Rust(RustBody),
}

impl<'a> Body<'a> {
    /// The SQL run in `direction`: `None` for a Rust revision, empty for a downgrade without
    /// a section.
    pub(crate) fn sql(self, direction: Direction) -> Option<&'a str> {
        match (self, direction) {
            (Body::Sql { upgrade, .. }, Direction::Upgrade) => Some(upgrade),
            (Body::Sql { downgrade, .. }, Direction::Downgrade) => Some(downgrade.unwrap_or("")),
            (Body::Rust(_), _) => None,
        }
    }

    /// The function run in `direction`: `None` for an SQL revision and for a Rust revision
    /// without a `downgrade`.
    pub(crate) fn function(self, direction: Direction) -> Option<RevisionFn> {
        match (self, direction) {
            (Body::Rust(body), Direction::Upgrade) => Some(body.upgrade),
            (Body::Rust(body), Direction::Downgrade) => body.downgrade,
            (Body::Sql { .. }, _) => None,
        }
    }

    /// Whether running it in `direction` on SQLite needs the foreign keys off: a Rust
    /// revision (whose `op` may rebuild a table), or SQL that drops a table, as SQLite's
    /// rebuild of a table ("move and copy") does. With them on, `DROP TABLE` first deletes the
    /// table's rows, which fails on the rows of other tables that reference them or, worse,
    /// fires their `ON DELETE CASCADE`.
    pub(crate) fn needs_foreign_keys_off(self, direction: Direction) -> bool {
        let Some(sql) = self.sql(direction) else {
            return true;
        };
        let Ok(statements) = split_statements(sql, Dialect::Sqlite) else {
            return false;
        };
        statements.iter().any(|statement| {
            let mut words = statement.text.split_whitespace();
            words.next().is_some_and(|w| w.eq_ignore_ascii_case("DROP"))
                && words
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case("TABLE"))
        })
    }
}

/// What each revision runs on each database its file names (a project of several databases),
/// aligned with the history's revisions in load order.
#[derive(Debug, Clone, Default)]
pub(crate) struct PerDatabase {
    revisions: Vec<Vec<(String, aludel_graph::DatabaseSql)>>,
}

impl PerDatabase {
    pub(crate) fn new<'s>(sections: impl IntoIterator<Item = &'s aludel_graph::Sections>) -> Self {
        PerDatabase {
            revisions: sections
                .into_iter()
                .map(|s| {
                    s.databases()
                        .into_iter()
                        .map(|d| (d.to_string(), s.for_database(d)))
                        .collect()
                })
                .collect(),
        }
    }

    /// Whether any file names a database.
    pub(crate) fn names_any(&self) -> bool {
        self.revisions.iter().any(|r| !r.is_empty())
    }

    /// What the SQL revision at `index`, whose sections for every database are `every`, runs
    /// on `database`.
    pub(crate) fn body<'a>(&'a self, index: usize, database: &str, every: Body<'a>) -> Body<'a> {
        let named = self.revisions.get(index).map_or(&[][..], Vec::as_slice);
        if let Some((_, sql)) = named.iter().find(|(d, _)| d == database) {
            return Body::Sql {
                upgrade: &sql.upgrade,
                downgrade: sql.downgrade.as_deref(),
            };
        }
        match every {
            // The file names other databases only: nothing runs here, either way.
            Body::Sql {
                upgrade: "",
                downgrade: None,
            } if !named.is_empty() => Body::Sql {
                upgrade: "",
                downgrade: Some(""),
            },
            other => other,
        }
    }
}
