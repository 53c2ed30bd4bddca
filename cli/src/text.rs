//! Alembic's text forms of a revision (`Script._head_only`, `Script.log_entry`).

use aludel_graph::Revision;

use crate::project::Project;

/// What the one-line form includes (the arguments of Alembic's `Script._head_only`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Line {
    /// `(label, ...)` after the id.
    pub branches: bool,
    /// `, message` at the end.
    pub doc: bool,
    /// `parents -> ` before the id (with `(dependencies)` when there are any).
    pub parents: bool,
    /// `(branchpoint)` and `(mergepoint)`; `(head)` is always shown.
    pub tree: bool,
}

/// The parents as Alembic shows them: `<base>` or `a, b`.
fn parents(revision: &Revision) -> String {
    if revision.down_revisions.is_empty() {
        "<base>".to_string()
    } else {
        revision.down_revisions.join(", ")
    }
}

/// One line, e.g. `b -> c1 (feat1) (head), add users` (Alembic's `Script._head_only`).
///
/// Unlike Alembic, an empty message leaves out the `, ` rather than ending the line with it.
pub fn line(project: &Project, revision: &Revision, what: Line) -> String {
    let graph = project.graph();
    let id = revision.id.as_str();
    let mut text = if what.parents {
        if revision.depends_on.is_empty() {
            format!("{} -> {id}", parents(revision))
        } else {
            format!(
                "{} ({}) -> {id}",
                parents(revision),
                revision.depends_on.join(", ")
            )
        }
    } else {
        id.to_string()
    };
    let branches = project.branches_of(id);
    if what.branches && !branches.is_empty() {
        text.push_str(&format!(" ({})", branches.join(", ")));
    }
    if project.is_real_head(id) {
        text.push_str(" (head)");
    } else if graph.is_head(id) {
        text.push_str(" (effective head)");
    }
    if what.tree {
        if graph.is_branch_point(id) {
            text.push_str(" (branchpoint)");
        }
        if graph.is_merge(id) {
            text.push_str(" (mergepoint)");
        }
    }
    if what.doc && !revision.message.is_empty() {
        text.push_str(", ");
        text.push_str(&revision.message);
    }
    text
}

/// The verbose entry (Alembic's `Script.log_entry`), ending in a newline:
///
/// ```text
/// Rev: b (branchpoint)
/// Parent: a
/// Branches into: c2, c1
/// Path: migrations/versions/b.sql
///
///     second
/// ```
///
/// Besides Alembic's lines (`Rev`, `Parent` or `Merges`, `Also depends on`, `Branches into`,
/// `Branch names`, `Path`), aludel adds `Create Date`, `Transactional: false` and
/// `Downgrade: none (irreversible)` when they apply; the message stands for the docstring.
pub fn entry(project: &Project, revision: &Revision) -> String {
    let graph = project.graph();
    let id = revision.id.as_str();
    let mut text = format!("Rev: {id}");
    for (flag, marker) in [
        (graph.is_head(id), " (head)"),
        (graph.is_branch_point(id), " (branchpoint)"),
        (graph.is_merge(id), " (mergepoint)"),
    ] {
        if flag {
            text.push_str(marker);
        }
    }
    text.push('\n');
    let label = if graph.is_merge(id) {
        "Merges"
    } else {
        "Parent"
    };
    text.push_str(&format!("{label}: {}\n", parents(revision)));
    if !revision.depends_on.is_empty() {
        text.push_str(&format!(
            "Also depends on: {}\n",
            revision.depends_on.join(", ")
        ));
    }
    if graph.is_branch_point(id) {
        text.push_str(&format!(
            "Branches into: {}\n",
            graph.children_of(id).join(", ")
        ));
    }
    let branches = project.branches_of(id);
    if !branches.is_empty() {
        text.push_str(&format!("Branch names: {}\n", branches.join(", ")));
    }
    if let Some(date) = &revision.create_date {
        text.push_str(&format!("Create Date: {date}\n"));
    }
    if !revision.transactional {
        text.push_str("Transactional: false\n");
    }
    if !revision.is_reversible() {
        text.push_str("Downgrade: none (irreversible)\n");
    }
    text.push_str(&format!("Path: {}\n\n", revision.source.path));
    for paragraph in revision.message.lines() {
        if paragraph.is_empty() {
            text.push('\n');
        } else {
            text.push_str(&format!("    {paragraph}\n"));
        }
    }
    text
}
