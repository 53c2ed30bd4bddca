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
    /// Every branch label that covers the revision: its own and those inherited from the
    /// labelled revisions it descends from (what Alembic's text output shows).
    pub branches: &'a [String],
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
