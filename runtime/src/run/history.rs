//! What a migrator runs: a history embedded by the macros or one loaded at run time, with the
//! lineage digests and the heads the version table holds when everything is applied.

use aludel_graph::Graph;

use super::Migrator;
use crate::embedded::Migrations;
use crate::error::Error;
use crate::op::RustBody;
use crate::options::Options;

/// A revision history loaded at run time (by the command line, an import, a test) rather
/// than embedded by a macro.
#[derive(Debug, Clone)]
pub struct LoadedMigrations {
    graph: Graph,
    digests: Vec<String>,
    /// The rows of the version table after `upgrade heads`, with their digests.
    applied_heads: Vec<(String, String)>,
}

impl LoadedMigrations {
    /// Wraps a validated graph.
    pub fn new(graph: Graph) -> Self {
        let digests = graph.lineage_digests();
        let applied_heads = applied_heads(&graph, &digests);
        LoadedMigrations {
            graph,
            digests,
            applied_heads,
        }
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

    /// What a Rust revision runs: compiled into the binary for embedded histories, absent
    /// from histories loaded at run time.
    pub(super) fn rust_body(self, graph: &Graph, id: &str) -> Option<RustBody> {
        match self {
            Source::Embedded(m) => m.revisions().get(graph.index_of(id)?)?.rust_body(),
            Source::Loaded(_) => None,
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
