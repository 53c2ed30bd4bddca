//! The embedded form of a revision history: `'static` data that the macros generate and that
//! costs nothing at startup.

use std::str::SplitAsciiWhitespace;
use std::sync::OnceLock;

use aludel_graph::{Graph, GraphOptions, Source};

use crate::body::Body;
use crate::op::RustBody;

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
    /// A Rust revision's functions (the macro compiles its file as a module).
    rust: Option<RustBody>,
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
    /// The sections that name a database (`aludel_graph::revision::encode_named`).
    Named,
}

#[doc(hidden)]
pub const FIELDS: usize = 12;

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

    /// Whether the revision is written in Rust (`.rs`): its functions are compiled into the
    /// binary, and [`Revision::upgrade_sql`] is empty.
    pub fn is_rust(&self) -> bool {
        self.rust.is_some()
    }

    /// What the revision runs.
    pub(crate) fn body(&self) -> Body<'static> {
        match self.rust {
            Some(rust) => Body::Rust(rust),
            None => Body::Sql {
                upgrade: self.upgrade_sql(),
                downgrade: self.downgrade_sql(),
            },
        }
    }

    /// The upgrade SQL (empty for a Rust revision).
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

    /// The sections that name one of several databases (`-- upgrade <name>`), in the file's
    /// order.
    pub fn named_sections(&self) -> Vec<aludel_graph::NamedSection> {
        aludel_graph::revision::decode_named(self.field(Field::Named))
    }

    /// The file's sections, as the graph crate models them.
    pub fn sections(&self) -> aludel_graph::Sections {
        aludel_graph::Sections {
            upgrade: self.upgrade_sql().to_string(),
            downgrade: self.downgrade_sql().map(str::to_string),
            named: self.named_sections(),
        }
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
            kind: if self.is_rust() {
                aludel_graph::RevisionKind::Rust
            } else {
                aludel_graph::RevisionKind::Sql
            },
            reversible: self.has(HAS_DOWNGRADE),
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
    /// Positions in load order of the rows the version table holds after `upgrade heads`
    /// (`aludel_graph::Graph::heads_after_upgrade`): the heads less those that are only a
    /// dependency of another revision.
    version_heads: &'static [usize],
    allow_multiple_heads: bool,
    /// The version table and its schema that the project's `aludel.toml` names.
    version_table: &'static str,
    version_table_schema: Option<&'static str>,
    /// The databases of a project of several (`[databases.<name>]`), in aludel.toml's order.
    databases: &'static [&'static str],
    /// What each revision runs on each database its file names, in load order.
    per_database: OnceLock<crate::body::PerDatabase>,
    /// The graph, with what is wrong with the embedded data when it does not form one.
    graph: OnceLock<(Graph, Option<String>)>,
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
    ///
    /// Empty when the embedded data does not form a valid graph, which the macro never
    /// generates (the runtime reports it as [`Error::InvalidEmbeddedHistory`](crate::Error)).
    pub fn graph(&self) -> &Graph {
        &self.built().0
    }

    /// Builds the graph once and checks it against what the macro computed.
    fn built(&self) -> &(Graph, Option<String>) {
        self.graph.get_or_init(|| {
            let revisions = self
                .revisions()
                .iter()
                .map(|r| r.to_graph_revision())
                .collect();
            let options = GraphOptions {
                allow_multiple_heads: self.allow_multiple_heads,
                databases: self.databases.iter().map(|d| d.to_string()).collect(),
            };
            match Graph::build(revisions, &options) {
                Ok(graph) => {
                    let problem = self.disagreement(&graph);
                    (graph, problem)
                }
                Err(diagnostics) => {
                    let shown: Vec<String> =
                        diagnostics.iter().take(10).map(|d| d.to_string()).collect();
                    let mut message = shown.join("; ");
                    if diagnostics.len() > 10 {
                        message.push_str(&format!(" (and {} more)", diagnostics.len() - 10));
                    }
                    (Graph::empty(), Some(message))
                }
            }
        })
    }

    /// What the macro computed that the graph built from the same data contradicts.
    fn disagreement(&self, graph: &Graph) -> Option<String> {
        // The parser refuses these, but `Graph::build` takes ids as given; an id that the
        // text does not hold reads as "".
        if let Some((i, r)) = self
            .revisions()
            .iter()
            .enumerate()
            .find(|(_, r)| !aludel_graph::revision::is_valid_id(r.id()))
        {
            return Some(format!(
                "revision {} of {} has the invalid id `{}`",
                i + 1,
                self.len(),
                r.id()
            ));
        }
        if graph.heads() != self.heads {
            return Some(format!(
                "the embedded heads ({}) are not the graph's ({})",
                self.heads.join(", "),
                graph.heads().join(", ")
            ));
        }
        let mut embedded: Vec<&str> = self
            .version_heads
            .iter()
            .map(|&i| self.at(i).map_or("?", Revision::id))
            .collect();
        let mut expected = graph.heads_after_upgrade();
        embedded.sort_unstable();
        expected.sort_unstable();
        (embedded != expected).then(|| {
            format!(
                "the embedded version-table heads ({}) are not the graph's ({})",
                embedded.join(", "),
                expected.join(", ")
            )
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
        crate::Options {
            version_table: self.version_table.to_string(),
            schema: self.version_table_schema.map(str::to_string),
            ..crate::Options::default()
        }
    }

    /// The graph, or the error that the embedded data does not form one (the macro and the
    /// runtime disagree on the layout, or the data was assembled by hand).
    pub(crate) fn try_graph(&self) -> Result<&Graph, crate::Error> {
        match self.built() {
            (graph, None) => Ok(graph),
            (_, Some(message)) => Err(crate::Error::InvalidEmbeddedHistory {
                message: message.clone(),
            }),
        }
    }

    /// The databases of a project of several (`[databases.<name>]` in aludel.toml), in the
    /// file's order; empty for a project of one database.
    pub fn database_names(&self) -> &'static [&'static str] {
        self.databases
    }

    /// What each revision runs on each database its file names.
    pub(crate) fn per_database(&self) -> &crate::body::PerDatabase {
        self.per_database.get_or_init(|| {
            // Most files name no database: their SQL is not copied.
            let sections: Vec<aludel_graph::Sections> = self
                .revisions()
                .iter()
                .map(|r| match r.field(Field::Named).is_empty() {
                    true => aludel_graph::Sections::default(),
                    false => r.sections(),
                })
                .collect();
            crate::body::PerDatabase::new(&sections)
        })
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

    /// The rows the version table holds after `upgrade heads`, with their lineage digests,
    /// straight from the embedded data (the no-op check of `run_pending`). Not the same as
    /// [`heads`](Migrations::heads): a head that another revision depends on is no row.
    pub(crate) fn head_digests(&self) -> Vec<(&'static str, &'static str)> {
        self.version_heads
            .iter()
            .filter_map(|&i| self.at(i))
            .map(|r| (r.id(), r.lineage_digest()))
            .collect()
    }

    /// The version of the layout the macros generate (the arguments of the hidden
    /// constructors below and of `__revision`). The generated code asserts at compile time
    /// that it equals the layout the macros were written for, so that an `aludel-macros` of
    /// another version fails to compile instead of embedding data that reads as empty strings.
    #[doc(hidden)]
    pub const __LAYOUT: u32 = 4;

    #[doc(hidden)]
    pub const fn __new(
        revisions: &'static [&'static Revision],
        heads: &'static [&'static str],
        version_heads: &'static [usize],
        allow_multiple_heads: bool,
        version_table: &'static str,
        version_table_schema: Option<&'static str>,
        databases: &'static [&'static str],
    ) -> Self {
        Migrations::with_storage(
            Storage::Refs(revisions),
            heads,
            version_heads,
            allow_multiple_heads,
            (version_table, version_table_schema),
            databases,
        )
    }

    #[doc(hidden)]
    pub const fn __from_array(
        revisions: &'static [Revision],
        heads: &'static [&'static str],
        version_heads: &'static [usize],
        allow_multiple_heads: bool,
        version_table: &'static str,
        version_table_schema: Option<&'static str>,
        databases: &'static [&'static str],
    ) -> Self {
        Migrations::with_storage(
            Storage::Array(revisions),
            heads,
            version_heads,
            allow_multiple_heads,
            (version_table, version_table_schema),
            databases,
        )
    }

    const fn with_storage(
        storage: Storage,
        heads: &'static [&'static str],
        version_heads: &'static [usize],
        allow_multiple_heads: bool,
        (version_table, version_table_schema): (&'static str, Option<&'static str>),
        databases: &'static [&'static str],
    ) -> Self {
        Migrations {
            storage,
            heads,
            version_heads,
            allow_multiple_heads,
            version_table,
            version_table_schema,
            databases,
            per_database: OnceLock::new(),
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
    rust: Option<RustBody>,
) -> Revision {
    Revision {
        text,
        ends,
        flags,
        lines,
        rust,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A revision's text and field ends, as the macro lays them out (one string, the fields
    /// in the order of [`Field`]).
    fn layout(fields: [&str; FIELDS]) -> (&'static str, [u32; FIELDS]) {
        let mut text = String::new();
        let mut ends = [0; FIELDS];
        for (end, field) in ends.iter_mut().zip(fields) {
            text.push_str(field);
            *end = u32::try_from(text.len()).unwrap();
        }
        (Box::leak(text.into_boxed_str()), ends)
    }

    fn revision(id: &str, down: &str, depends_on: &str) -> Revision {
        let (text, ends) = layout([
            id,
            down,
            "",
            depends_on,
            "message",
            "",
            "CREATE TABLE t (id INTEGER);",
            "",
            "v1:sha256:00",
            "lineage",
            "versions/x.sql",
            "",
        ]);
        __revision(text, ends, TRANSACTIONAL, [1, 2, 0, 0, 4, 0], None)
    }

    fn leak<T>(values: Vec<T>) -> &'static [T] {
        Box::leak(values.into_boxed_slice())
    }

    #[test]
    fn a_consistent_history_builds() {
        let m = Migrations::__from_array(
            leak(vec![revision("a", "", ""), revision("b", "a", "")]),
            &["b"],
            &[1],
            false,
            "alembic_version",
            None,
            &[],
        );
        assert!(m.try_graph().is_ok());
        assert_eq!(m.graph().heads(), ["b"]);
        assert_eq!(m.head_digests(), [("b", "lineage")]);
    }

    #[test]
    fn an_inconsistent_history_is_an_error_not_an_empty_graph() {
        // `b` stands on a revision that is not embedded.
        let m = Migrations::__from_array(
            leak(vec![revision("a", "", ""), revision("b", "zz", "")]),
            &["b"],
            &[1],
            false,
            "alembic_version",
            None,
            &[],
        );
        let err = m.try_graph().unwrap_err();
        assert!(
            matches!(&err, crate::Error::InvalidEmbeddedHistory { message } if message.contains("zz")),
            "{err:?}"
        );
        let shown = err.to_string();
        assert!(
            shown.starts_with("the revision history embedded in this program is invalid: ")
                && shown.contains("aludel and aludel-macros must be the same version"),
            "{shown}"
        );
        assert!(m.graph().is_empty());

        // Fields that do not line up with the text (another layout) read as empty ids.
        let garbled = __revision("ab", [9; FIELDS], TRANSACTIONAL, [0; 6], None);
        let m = Migrations::__from_array(
            leak(vec![garbled]),
            &[""],
            &[0],
            false,
            "alembic_version",
            None,
            &[],
        );
        let err = m.try_graph().unwrap_err().to_string();
        assert!(
            err.contains("revision 1 of 1 has the invalid id ``"),
            "{err}"
        );
    }

    #[test]
    fn heads_that_disagree_with_the_graph_are_an_error() {
        let revisions = leak(vec![revision("a", "", ""), revision("b", "a", "")]);
        let wrong_heads = Migrations::__from_array(revisions, &["a"], &[0], false, "v", None, &[]);
        let err = wrong_heads.try_graph().unwrap_err().to_string();
        assert!(
            err.contains("the embedded heads (a) are not the graph's (b)"),
            "{err}"
        );
        let wrong_rows = Migrations::__from_array(revisions, &["b"], &[0], false, "v", None, &[]);
        let err = wrong_rows.try_graph().unwrap_err().to_string();
        assert!(
            err.contains("the embedded version-table heads (a) are not the graph's (b)"),
            "{err}"
        );
    }

    #[test]
    fn the_version_table_rows_leave_out_heads_that_are_only_a_dependency() {
        // a (its own base), c, b (down_revision c, depends_on a): heads a and b, one row b.
        let mut a = revision("a", "", "");
        let (text, ends) = layout([
            "a",
            "",
            "x",
            "",
            "",
            "",
            "SELECT 1;",
            "",
            "v1:sha256:00",
            "lin_a",
            "versions/a.sql",
            "",
        ]);
        a.text = text;
        a.ends = ends;
        let m = Migrations::__from_array(
            leak(vec![a, revision("b", "c", "a"), revision("c", "", "")]),
            &["a", "b"],
            &[1],
            false,
            "alembic_version",
            None,
            &[],
        );
        m.try_graph().unwrap();
        assert_eq!(m.heads(), ["a", "b"]);
        assert_eq!(m.head_digests(), [("b", "lineage")]);
    }

    #[test]
    fn default_options_are_the_embedded_settings() {
        let m = Migrations::__new(&[], &[], &[], false, "app_version", Some("ops"), &[]);
        let options = m.default_options();
        assert_eq!(options.version_table, "app_version");
        assert_eq!(options.schema.as_deref(), Some("ops"));
        assert_eq!(
            options.log_table,
            crate::Options::default().log_table,
            "only the version table's settings come from aludel.toml"
        );
    }
}
