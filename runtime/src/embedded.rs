//! The embedded form of a revision history: `'static` data that the macros generate and that
//! costs nothing at startup.

use std::str::SplitAsciiWhitespace;
use std::sync::OnceLock;

use aludel_graph::{Graph, GraphOptions, Source};

/// One revision embedded in the binary.
///
/// The macros generate a `static` of this type per revision; `migrations!()` makes them
/// nameable (`migrations::rev_3f2a9c1b7d4e`), so code that refers to a revision stops
/// compiling when the revision is removed.
#[derive(Debug)]
pub struct Revision {
    /// Every text field, one after another, in the order of [`Field`]: one pointer (and one
    /// relocation in a position-independent binary) per revision instead of one per field.
    text: &'static str,
    /// Where each field ends in `text`.
    ends: [u32; FIELDS],
    /// [`TRANSACTIONAL`], [`HAS_CREATE_DATE`], [`HAS_DOWNGRADE`].
    flags: u8,
    /// The lines of the header keys and section markers (see [`Source`]).
    lines: [u32; 6],
}

/// The text fields of a [`Revision`], in their order in its text. The three lists are
/// space-separated (ids and labels hold no spaces).
#[derive(Clone, Copy)]
enum Field {
    Id,
    DownRevisions,
    BranchLabels,
    DependsOn,
    Message,
    CreateDate,
    Upgrade,
    Downgrade,
    Checksum,
    Digest,
    Path,
}

#[doc(hidden)]
pub const FIELDS: usize = 11;

#[doc(hidden)]
pub const TRANSACTIONAL: u8 = 1;
#[doc(hidden)]
pub const HAS_CREATE_DATE: u8 = 2;
#[doc(hidden)]
pub const HAS_DOWNGRADE: u8 = 4;

impl Revision {
    fn field(&self, field: Field) -> &'static str {
        let i = field as usize;
        let start = match i.checked_sub(1) {
            Some(before) => self.ends[before] as usize,
            None => 0,
        };
        // The macro wrote the text and its offsets together; a mismatch yields "".
        self.text
            .get(start..self.ends[i] as usize)
            .unwrap_or_default()
    }

    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// The revision id.
    pub fn id(&self) -> &'static str {
        self.field(Field::Id)
    }

    /// The parents (`down_revision`); none for a base, several for a merge.
    pub fn down_revisions(&self) -> SplitAsciiWhitespace<'static> {
        self.field(Field::DownRevisions).split_ascii_whitespace()
    }

    /// The branch labels this revision carries.
    pub fn branch_labels(&self) -> SplitAsciiWhitespace<'static> {
        self.field(Field::BranchLabels).split_ascii_whitespace()
    }

    /// The revisions or labels this revision depends on.
    pub fn depends_on(&self) -> SplitAsciiWhitespace<'static> {
        self.field(Field::DependsOn).split_ascii_whitespace()
    }

    /// The message.
    pub fn message(&self) -> &'static str {
        self.field(Field::Message)
    }

    /// The `create_date` header, when present.
    pub fn create_date(&self) -> Option<&'static str> {
        self.has(HAS_CREATE_DATE)
            .then(|| self.field(Field::CreateDate))
    }

    /// Whether the revision runs inside a transaction.
    pub fn is_transactional(&self) -> bool {
        self.has(TRANSACTIONAL)
    }

    /// The upgrade SQL.
    pub fn upgrade_sql(&self) -> &'static str {
        self.field(Field::Upgrade)
    }

    /// The downgrade SQL; `None` when the revision is irreversible.
    pub fn downgrade_sql(&self) -> Option<&'static str> {
        self.has(HAS_DOWNGRADE)
            .then(|| self.field(Field::Downgrade))
    }

    /// The checksum of the file (`v1:sha256:...`, see `aludel_graph::checksum`).
    pub fn checksum(&self) -> &'static str {
        self.field(Field::Checksum)
    }

    /// The lineage digest: a checksum over this file and, through its parents' digests, every
    /// file below it (see `aludel_graph::Graph::lineage_digests`).
    pub fn lineage_digest(&self) -> &'static str {
        self.field(Field::Digest)
    }

    /// The file the revision was read from, relative to the crate that embeds it.
    pub fn path(&self) -> &'static str {
        self.field(Field::Path)
    }

    /// The revision as the graph crate models it.
    pub fn to_graph_revision(&self) -> aludel_graph::Revision {
        let owned = |v: &str| {
            v.split_ascii_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        aludel_graph::Revision {
            id: self.id().to_string(),
            down_revisions: owned(self.field(Field::DownRevisions)),
            branch_labels: owned(self.field(Field::BranchLabels)),
            depends_on: owned(self.field(Field::DependsOn)),
            message: self.message().to_string(),
            create_date: self.create_date().map(str::to_string),
            transactional: self.is_transactional(),
            upgrade: self.upgrade_sql().to_string(),
            downgrade: self.downgrade_sql().map(str::to_string),
            checksum: self.checksum().to_string(),
            source: Source {
                path: self.path().to_string(),
                revision_line: self.lines[0],
                down_revision_line: self.lines[1],
                branch_labels_line: self.lines[2],
                depends_on_line: self.lines[3],
                upgrade_line: self.lines[4],
                downgrade_line: self.lines[5],
            },
        }
    }
}

/// A revision history embedded in the binary and validated at compile time.
///
/// Made by [`embed_migrations!`](crate::embed_migrations) or
/// [`migrations!`](crate::migrations); usable in a `static`.
///
/// ```
/// static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../migrations/versions");
///
/// assert!(!MIGRATIONS.heads().is_empty());
/// for revision in MIGRATIONS.history() {
///     println!("{} {}", revision.id(), revision.message());
/// }
/// ```
#[derive(Debug)]
pub struct Migrations {
    storage: Storage,
    heads: &'static [&'static str],
    /// The heads' positions in load order.
    head_indices: &'static [usize],
    allow_multiple_heads: bool,
    graph: OnceLock<Graph>,
    digests: OnceLock<Vec<String>>,
    refs: OnceLock<Vec<&'static Revision>>,
}

/// How the macros laid the revisions out.
#[derive(Debug, Clone, Copy)]
enum Storage {
    /// One array (`embed_migrations!`): the cheapest form for the compiler.
    Array(&'static [Revision]),
    /// A static per revision (`migrations!`, which names each one).
    Refs(&'static [&'static Revision]),
}

impl Migrations {
    /// The revisions in load order (their files sorted by path).
    pub fn revisions(&self) -> &[&'static Revision] {
        match self.storage {
            Storage::Refs(refs) => refs,
            Storage::Array(array) => self.refs.get_or_init(|| array.iter().collect()),
        }
    }

    /// The revision at `index` in load order.
    fn at(&self, index: usize) -> Option<&'static Revision> {
        match self.storage {
            Storage::Refs(refs) => refs.get(index).copied(),
            Storage::Array(array) => array.get(index),
        }
    }

    /// The heads, computed at compile time, in load order.
    pub fn heads(&self) -> &'static [&'static str] {
        self.heads
    }

    /// The revision with this id.
    pub fn get(&self, id: &str) -> Option<&'static Revision> {
        self.revisions().iter().copied().find(|r| r.id() == id)
    }

    /// The number of revisions.
    pub fn len(&self) -> usize {
        match self.storage {
            Storage::Refs(refs) => refs.len(),
            Storage::Array(array) => array.len(),
        }
    }

    /// True for an empty history (which the macros do not produce).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The revision graph, built on first use from the embedded data. It answers target
    /// resolution, history and planning with the same rules the macro validated.
    pub fn graph(&self) -> &Graph {
        self.graph.get_or_init(|| {
            let revisions = self
                .revisions()
                .iter()
                .map(|r| r.to_graph_revision())
                .collect();
            let options = GraphOptions {
                allow_multiple_heads: self.allow_multiple_heads,
            };
            // The macro validated this exact data with the same code, so the error branch is
            // unreachable; it yields an empty graph rather than a panic.
            Graph::build(revisions, &options).unwrap_or_else(|_| Graph::empty())
        })
    }

    /// Every revision from the heads down to the bases, newest first (as `alembic history`).
    pub fn history(&self) -> Vec<&'static Revision> {
        let graph = self.graph();
        graph
            .walk()
            .iter()
            .filter_map(|r| graph.index_of(&r.id).and_then(|i| self.at(i)))
            .collect()
    }

    /// The options a migrator over this history starts from: the version table and schema
    /// that the project's `aludel.toml` names, embedded by the macro.
    pub(crate) fn default_options(&self) -> crate::Options {
        crate::Options::default()
    }

    /// The graph, or the error that the embedded data does not form one (the macro and the
    /// runtime disagree on the layout, or the data was assembled by hand).
    pub(crate) fn try_graph(&self) -> Result<&Graph, crate::Error> {
        Ok(self.graph())
    }

    /// The lineage digests in load order (aligned with [`Graph::revisions`]).
    pub(crate) fn digests(&self) -> &[String] {
        self.digests.get_or_init(|| {
            self.revisions()
                .iter()
                .map(|r| r.lineage_digest().to_string())
                .collect()
        })
    }

    /// The heads with their lineage digests, straight from the embedded data.
    pub(crate) fn head_digests(&self) -> Vec<(&'static str, &'static str)> {
        self.head_indices
            .iter()
            .filter_map(|&i| self.at(i))
            .map(|r| (r.id(), r.lineage_digest()))
            .collect()
    }

    #[doc(hidden)]
    pub const fn __new(
        revisions: &'static [&'static Revision],
        heads: &'static [&'static str],
        head_indices: &'static [usize],
        allow_multiple_heads: bool,
    ) -> Self {
        Migrations::with_storage(
            Storage::Refs(revisions),
            heads,
            head_indices,
            allow_multiple_heads,
        )
    }

    #[doc(hidden)]
    pub const fn __from_array(
        revisions: &'static [Revision],
        heads: &'static [&'static str],
        head_indices: &'static [usize],
        allow_multiple_heads: bool,
    ) -> Self {
        Migrations::with_storage(
            Storage::Array(revisions),
            heads,
            head_indices,
            allow_multiple_heads,
        )
    }

    const fn with_storage(
        storage: Storage,
        heads: &'static [&'static str],
        head_indices: &'static [usize],
        allow_multiple_heads: bool,
    ) -> Self {
        Migrations {
            storage,
            heads,
            head_indices,
            allow_multiple_heads,
            graph: OnceLock::new(),
            digests: OnceLock::new(),
            refs: OnceLock::new(),
        }
    }
}

#[doc(hidden)]
pub const fn __revision(
    text: &'static str,
    ends: [u32; FIELDS],
    flags: u8,
    lines: [u32; 6],
) -> Revision {
    Revision {
        text,
        ends,
        flags,
        lines,
    }
}
