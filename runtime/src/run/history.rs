//! What a migrator runs: a history embedded by the macros or one loaded at run time, with the
//! lineage digests and the heads the version table holds when everything is applied.

use aludel_graph::{Graph, RevisionKind, Sections};

use super::Migrator;
use crate::body::{Body, PerDatabase};
use crate::embedded::Migrations;
use crate::error::Error;
use crate::options::Options;

/// A revision history loaded at run time (by the command line, an import, a test) rather
/// than embedded by a macro.
#[derive(Debug, Clone)]
pub struct LoadedMigrations {
    graph: Graph,
    /// The SQL sections of each revision, aligned with the graph's revisions.
    sections: Vec<Sections>,
    digests: Vec<String>,
    /// The rows of the version table after `upgrade heads`, with their digests.
    applied_heads: Vec<(String, String)>,
    /// The databases of a project of several (see [`LoadedMigrations::with_databases`]).
    databases: Vec<String>,
    /// What each revision runs on each database its file names.
    per_database: PerDatabase,
}

impl LoadedMigrations {
    /// Wraps a validated graph and its files' SQL sections, aligned with the graph's
    /// revisions, as [`aludel_graph::load_files_with_sections`] and [`aludel_graph::load_dir`]
    /// return them. An SQL revision without sections is refused when a plan would run it.
    pub fn new(graph: Graph, sections: Vec<Sections>) -> Self {
        let digests = graph.lineage_digests();
        let applied_heads = applied_heads(&graph, &digests);
        let per_database = PerDatabase::new(&sections);
        LoadedMigrations {
            graph,
            sections,
            digests,
            applied_heads,
            databases: Vec::new(),
            per_database,
        }
    }

    /// Sets the databases of a project of several (`[databases.<name>]` in aludel.toml, as
    /// `GraphOptions::databases` names them), which a migrator's
    /// [`Options::database`](crate::Options::database) must be one of.
    #[must_use]
    pub fn with_databases(mut self, databases: Vec<String>) -> Self {
        self.databases = databases;
        self
    }

    /// The databases of a project of several; empty for one database.
    pub fn database_names(&self) -> &[String] {
        &self.databases
    }

    /// A history read from revision files given as (display path, contents) in load order
    /// (see [`aludel_graph::load_files`]).
    pub fn from_files(
        files: &[(String, Vec<u8>)],
        options: &aludel_graph::GraphOptions,
    ) -> Result<Self, aludel_graph::Diagnostics> {
        let (graph, sections) = aludel_graph::load_files_with_sections(files, options)?;
        Ok(LoadedMigrations::new(graph, sections).with_databases(options.databases.clone()))
    }

    /// The graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// A migrator with default options.
    pub fn migrator(&self) -> Migrator<'_> {
        Migrator {
            source: Source::Loaded(self),
            options: Options::default(),
            progress: None,
            stop: None,
        }
    }
}

/// The version table's rows once every revision is applied (a head that another head depends
/// on is not among them), with their lineage digests.
fn applied_heads(graph: &Graph, digests: &[String]) -> Vec<(String, String)> {
    graph
        .heads_after_upgrade()
        .into_iter()
        .filter_map(|id| {
            let i = graph.index_of(id)?;
            Some((id.to_string(), digests.get(i)?.clone()))
        })
        .collect()
}

/// The history a [`Migrator`] runs.
#[derive(Debug, Clone, Copy)]
pub(super) enum Source<'a> {
    Embedded(&'a Migrations),
    Loaded(&'a LoadedMigrations),
}

impl<'a> Source<'a> {
    /// The graph; an error when embedded data does not form one.
    pub(super) fn graph(self) -> Result<&'a Graph, Error> {
        match self {
            Source::Embedded(m) => m.try_graph(),
            Source::Loaded(l) => Ok(&l.graph),
        }
    }

    /// What a revision runs: embedded in the binary by the macro (SQL, and Rust compiled into
    /// it), or the files' SQL sections of a history loaded at run time, which has no code for
    /// a Rust revision (`None`).
    pub(super) fn body(self, graph: &Graph, id: &str, database: Option<&str>) -> Option<Body<'a>> {
        let i = graph.index_of(id)?;
        let every = match self {
            Source::Embedded(m) => m.revisions().get(i)?.body(),
            Source::Loaded(l) => {
                if graph.revisions().get(i)?.kind == RevisionKind::Rust {
                    return None;
                }
                let sections = l.sections.get(i)?;
                Body::Sql {
                    upgrade: &sections.upgrade,
                    downgrade: sections.downgrade.as_deref(),
                }
            }
        };
        match (every, database) {
            (Body::Sql { .. }, Some(database)) => {
                let per_database = match self {
                    Source::Embedded(m) => m.per_database(),
                    Source::Loaded(l) => &l.per_database,
                };
                Some(per_database.body(i, database, every))
            }
            _ => Some(every),
        }
    }

    /// The databases of a project of several, and whether any file names one.
    pub(super) fn databases(self) -> (Vec<&'a str>, bool) {
        match self {
            Source::Embedded(m) => (m.database_names().to_vec(), m.per_database().names_any()),
            Source::Loaded(l) => (
                l.databases.iter().map(String::as_str).collect(),
                l.per_database.names_any(),
            ),
        }
    }

    /// The lineage digests, aligned with the graph's revisions.
    pub(super) fn digests(self) -> &'a [String] {
        match self {
            Source::Embedded(m) => m.digests(),
            Source::Loaded(l) => &l.digests,
        }
    }

    /// The lineage digest of a revision.
    pub(super) fn digest_of(self, graph: &Graph, id: &str) -> Option<String> {
        graph
            .index_of(id)
            .and_then(|i| self.digests().get(i))
            .cloned()
    }

    /// `rows` with their lineage digests (rows the history does not know are left out): what
    /// [`Tables::record_lineage`](crate::db::Tables::record_lineage) records after a run.
    pub(super) fn digests_of(self, graph: &Graph, rows: &[&str]) -> Vec<(String, String)> {
        rows.iter()
            .filter_map(|id| Some((id.to_string(), self.digest_of(graph, id)?)))
            .collect()
    }

    /// The version table's rows when everything is applied, with their lineage digests,
    /// without building the graph for embedded histories (the no-op check at startup).
    pub(super) fn applied_heads(self) -> Vec<(&'a str, &'a str)> {
        match self {
            Source::Embedded(m) => m.head_digests(),
            Source::Loaded(l) => l
                .applied_heads
                .iter()
                .map(|(id, digest)| (id.as_str(), digest.as_str()))
                .collect(),
        }
    }
}
