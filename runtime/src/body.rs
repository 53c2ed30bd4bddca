//! What a revision runs, owned by the runtime: the SQL sections of its file, or the functions
//! the macro compiled from it. The graph holds what a revision is (its id, its parents, its
//! checksum); a migrator looks the body up per revision when it runs one.

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
}
