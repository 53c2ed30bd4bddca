//! The `--format json` schema.
//!
//! Every command prints pretty-printed JSON (two-space indent) followed by a newline. Each
//! revision is a [`RevisionJson`] object; `heads` and `history` print an array of them, `show`
//! one [`ShowJson`] object, `branches` an array of [`BranchPointJson`] objects.

use aludel_graph::Revision;
use serde::Serialize;

use crate::error::CliError;
use crate::project::Project;

/// One revision.
#[derive(Debug, Serialize)]
pub struct RevisionJson<'a> {
    /// The revision id.
    pub revision: &'a str,
    /// Its parents (`down_revision`), as written: `[]` for a base, several for a merge.
    pub down_revisions: &'a [String],
    /// The branch labels the file declares.
    pub branch_labels: &'a [String],
    /// Every branch label that covers the revision, as Alembic's text output shows them
    /// (`aludel_graph::Graph::branches_of`): its own, those of the labelled revisions it
    /// descends from, and those above it when it lies in a plain chain up to a head.
    pub branches: Vec<&'a str>,
    /// `depends_on`, as written (revision ids or branch labels).
    pub depends_on: &'a [String],
    /// The message (`""` when the file has none).
    pub message: &'a str,
    /// `create_date` as written, or `null`.
    pub create_date: Option<&'a str>,
    /// The file, relative to the current directory where possible.
    pub path: &'a str,
    /// No revision names it as `down_revision` (it may still be a dependency of one).
    pub is_head: bool,
    /// It has no `down_revision`.
    pub is_base: bool,
    /// It has two or more `down_revision`s.
    pub is_merge: bool,
    /// Two or more revisions name it as `down_revision`.
    pub is_branch_point: bool,
    /// Whether its SQL runs in a transaction.
    pub transactional: bool,
    /// What the file is written in: `sql` or `rust`.
    pub kind: &'static str,
    /// The checksum of the file (`v1:sha256:<hex>`).
    pub checksum: &'a str,
}

impl<'a> RevisionJson<'a> {
    /// The object for `revision`.
    pub fn new(project: &'a Project, revision: &'a Revision) -> Self {
        let graph = project.graph();
        let id = revision.id.as_str();
        RevisionJson {
            revision: id,
            down_revisions: &revision.down_revisions,
            branch_labels: &revision.branch_labels,
            branches: project.branches_of(id),
            depends_on: &revision.depends_on,
            message: &revision.message,
            create_date: revision.create_date.as_deref(),
            path: &revision.source.path,
            is_head: graph.is_head(id),
            is_base: graph.is_base(id),
            is_merge: graph.is_merge(id),
            is_branch_point: graph.is_branch_point(id),
            transactional: revision.transactional,
            kind: match revision.kind {
                aludel_graph::RevisionKind::Sql => "sql",
                aludel_graph::RevisionKind::Rust => "rust",
            },
            checksum: &revision.checksum,
        }
    }
}

/// `show`: the revision and its SQL.
#[derive(Debug, Serialize)]
pub struct ShowJson<'a> {
    /// The revision.
    #[serde(flatten)]
    pub revision: RevisionJson<'a>,
    /// The upgrade SQL.
    pub upgrade: &'a str,
    /// The downgrade SQL, or `null` for an irreversible revision.
    pub downgrade: Option<&'a str>,
}

/// `branches`: a branch point and the revisions that branch from it.
#[derive(Debug, Serialize)]
pub struct BranchPointJson<'a> {
    /// The branch point.
    #[serde(flatten)]
    pub revision: RevisionJson<'a>,
    /// The revisions whose `down_revision` names it, as full revision objects, in load order.
    pub children: Vec<RevisionJson<'a>>,
}

/// Pretty-printed JSON with a trailing newline.
pub fn render<T: Serialize + ?Sized>(value: &T) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| CliError::Output(e.into()))?;
    text.push('\n');
    Ok(text)
}

/// One step of a plan (`upgrade`, `downgrade` and `stamp` with `--dry-run --format json`).
#[derive(Debug, Serialize)]
pub struct StepJson<'a> {
    /// `upgrade`, `downgrade`, or `stamp` (a step that runs no SQL).
    pub action: &'static str,
    /// The revision whose SQL runs, or `null` for a stamp step.
    pub revision: Option<&'a str>,
    /// Its message (`null` for a stamp step).
    pub message: Option<&'a str>,
    /// The version-table rows the step moves from (as in Alembic's `Running upgrade a -> b`).
    pub from: &'a [&'a str],
    /// The rows it moves to.
    pub to: &'a [&'a str],
    /// The version-table changes, in order.
    pub version_changes: Vec<VersionChangeJson<'a>>,
}

/// A change to the version table: `{"op": "insert", "version": "a1"}`,
/// `{"op": "update", "from": "a1", "to": "b2"}` or `{"op": "delete", "version": "b2"}`.
#[derive(Debug, Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum VersionChangeJson<'a> {
    /// A row is added.
    Insert {
        /// The revision.
        version: &'a str,
    },
    /// A row changes.
    Update {
        /// Its old value.
        from: &'a str,
        /// Its new value.
        to: &'a str,
    },
    /// A row is removed.
    Delete {
        /// The revision.
        version: &'a str,
    },
}

impl<'a> StepJson<'a> {
    /// The object for `step`.
    pub fn new(step: &'a aludel::Step<'a>) -> Self {
        use aludel::{Direction, VersionOp};
        StepJson {
            action: match (step.revision, step.direction) {
                (None, _) => "stamp",
                (Some(_), Direction::Upgrade) => "upgrade",
                (Some(_), Direction::Downgrade) => "downgrade",
            },
            revision: step.revision.map(|r| r.id.as_str()),
            message: step.revision.map(|r| r.message.as_str()),
            from: &step.from,
            to: &step.to,
            version_changes: step
                .ops
                .iter()
                .map(|op| match op {
                    VersionOp::Insert(v) => VersionChangeJson::Insert { version: v },
                    VersionOp::Update { from, to } => VersionChangeJson::Update { from, to },
                    VersionOp::Delete(v) => VersionChangeJson::Delete { version: v },
                })
                .collect(),
        }
    }
}

/// What an `upgrade` or `downgrade` did (`--format json` without `--dry-run`).
#[derive(Debug, Serialize)]
pub struct ReportJson<'a> {
    /// The version table's rows before the run.
    pub heads_before: &'a [String],
    /// The revisions applied or reverted, in order.
    pub steps: Vec<CompletedJson<'a>>,
    /// The version table's rows after the run.
    pub heads_after: &'a [String],
}

/// One database's report in a project of several databases (`upgrade`, `downgrade`,
/// `stamp` with `--format json`): `{"database": name, "heads_before": ..., "steps": ...,
/// "heads_after": ...}`.
#[derive(Debug, Serialize)]
pub struct DatabaseReportJson<'a> {
    /// The database's name.
    pub database: &'a str,
    /// What ran on it.
    #[serde(flatten)]
    pub report: ReportJson<'a>,
}

/// One database's plan in a project of several databases (`--dry-run --format json`):
/// `{"database": name, "steps": [...]}`.
#[derive(Debug, Serialize)]
pub struct DatabasePlanJson<'a> {
    /// The database's name.
    pub database: &'a str,
    /// The plan's steps.
    pub steps: Vec<StepJson<'a>>,
}

/// One database's version table in a project of several databases (`current --format
/// json`): `{"database": name, "revisions": [...]}`, the rows as `current` shows them for one
/// database (an empty array for a database at base).
#[derive(Debug, Serialize)]
pub struct DatabaseCurrentJson<'a> {
    /// The database's name.
    pub database: &'a str,
    /// Its rows.
    pub revisions: Vec<CurrentJson<'a>>,
}

/// One revision a run applied or reverted.
#[derive(Debug, Serialize)]
pub struct CompletedJson<'a> {
    /// The revision.
    pub revision: &'a str,
    /// `upgrade` or `downgrade`.
    pub direction: &'static str,
    /// How long its SQL took, in milliseconds.
    pub duration_ms: f64,
}

impl<'a> ReportJson<'a> {
    /// The object for `report`.
    pub fn new(report: &'a aludel::Report) -> Self {
        ReportJson {
            heads_before: &report.heads_before,
            steps: report
                .steps
                .iter()
                .map(|c| CompletedJson {
                    revision: &c.revision,
                    direction: match c.direction {
                        aludel::Direction::Upgrade => "upgrade",
                        aludel::Direction::Downgrade => "downgrade",
                    },
                    duration_ms: c.duration.as_secs_f64() * 1000.0,
                })
                .collect(),
            heads_after: &report.heads_after,
        }
    }
}

/// One row of the version table (`current --format json`): the revision's object, or for a
/// revision this history does not contain (a database migrated by a newer version)
/// `{"revision": "<id>", "unknown": true}`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CurrentJson<'a> {
    /// A revision of the history.
    Known(RevisionJson<'a>),
    /// A revision the history does not contain.
    Unknown {
        /// The row's value.
        revision: &'a str,
        /// Always `true`.
        unknown: bool,
    },
}
