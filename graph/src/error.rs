//! Errors of target resolution, planning and authoring. Wording follows Alembic's where Alembic
//! has a message, so that people who know Alembic recognise them; where Alembic is vague,
//! aludel says more.

use crate::diagnostic::{list_some, Diagnostics};

/// An error of the revision graph crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The history itself is invalid; every problem is listed.
    #[error("the revision history is invalid:\n{diagnostics}")]
    Invalid {
        /// The problems found.
        diagnostics: Diagnostics,
    },
    /// A target names no revision or branch.
    #[error("Can't locate revision identified by '{ident}'{}", suggestion_text(.suggestion))]
    UnknownRevision {
        /// What was asked for.
        ident: String,
        /// The nearest existing id, when there is a plausible one.
        suggestion: Option<String>,
    },
    /// A prefix matches several revisions.
    #[error("Multiple revisions start with '{prefix}': {}; give more characters", quoted(.candidates))]
    AmbiguousPrefix {
        /// The prefix.
        prefix: String,
        /// Every revision it matches.
        candidates: Vec<String>,
    },
    /// `head` (or `label@head`) with several heads.
    #[error("Multiple head revisions are present for given argument '{argument}'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads (heads: {})", list_some(.heads, ", "))]
    MultipleHeads {
        /// The argument, e.g. `head`.
        argument: String,
        /// The heads it could mean.
        heads: Vec<String>,
    },
    /// `x@...` where `x` is neither a branch label nor a revision.
    #[error("No such branch: '{label}'")]
    NoSuchBranch {
        /// The label.
        label: String,
    },
    /// `label@rev` where rev is not in the branch's lineage.
    #[error("Revision {revision} is not a member of branch '{branch}'")]
    NotInBranch {
        /// The revision.
        revision: String,
        /// The branch.
        branch: String,
    },
    /// A target that is not valid syntax.
    #[error("invalid target '{target}': {reason}")]
    Syntax {
        /// The target.
        target: String,
        /// What is wrong.
        reason: String,
    },
    /// A relative target that walks past the end of the history.
    #[error("Relative revision {relative} didn't produce {steps} migrations")]
    RelativeOvershoot {
        /// The relative part as written, e.g. `+5`.
        relative: String,
        /// The number of steps asked for.
        steps: u64,
    },
    /// `+N` from several current heads.
    #[error("Ambiguous upgrade from multiple current revisions ({}); name a branch, e.g. '<branchname>@+1'", list_some(.current, ", "))]
    AmbiguousUpgrade {
        /// The current heads.
        current: Vec<String>,
    },
    /// `-N` from several current heads (Alembic only warns and picks one by row order).
    #[error("downgrade {relative} from multiple heads is ambiguous (current heads: {}); name the branch, e.g. '{}@{relative}'", list_some(.current, ", "), .current.first().map(String::as_str).unwrap_or("<branchname>"))]
    AmbiguousDowngrade {
        /// The relative part, e.g. `-1`.
        relative: String,
        /// The current heads.
        current: Vec<String>,
    },
    /// A relative walk through a merge or a branch point.
    #[error("Ambiguous walk: {revision} has several {}: {}; name one of them as the target", if *.downward { "parents" } else { "children" }, list_some(.candidates, ", "))]
    AmbiguousWalk {
        /// Where the walk stopped.
        revision: String,
        /// Whether the walk went down (parents) or up (children).
        downward: bool,
        /// The revisions to choose from.
        candidates: Vec<String>,
    },
    /// A downgrade target above the current heads.
    #[error("Destination {target} is not a valid downgrade target from current head(s)")]
    NotADowngradeTarget {
        /// The target.
        target: String,
    },
    /// A range whose lower end is not below its upper end.
    #[error("Revision {lower} is not an ancestor of revision {upper}")]
    NotAnAncestor {
        /// The lower end.
        lower: String,
        /// The upper end.
        upper: String,
    },
    /// Several targets where one is an ancestor of another.
    #[error("Requested revision {revision} overlaps with other requested revisions {}", list_some(.others, ", "))]
    Overlap {
        /// The revision.
        revision: String,
        /// The revisions it overlaps with.
        others: Vec<String>,
    },
    /// The database is at a revision this history does not contain.
    #[error("Can't locate revision identified by '{revision}': the database is at a revision this history does not contain (was it written by a newer version of the application?)")]
    UnknownCurrent {
        /// The unknown revision.
        revision: String,
    },
    /// `stamp head` with several heads.
    #[error("Multiple heads are present; please specify a single target revision (heads: {})", list_some(.heads, ", "))]
    StampMultipleHeads {
        /// The heads.
        heads: Vec<String>,
    },
    /// `downgrade --sql` without a `from:to` range.
    #[error("downgrade with --sql requires <fromrev>:<torev>")]
    SqlRangeRequired,
    /// `revision` with several heads and no `--head`.
    #[error("Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge. (heads: {})", list_some(.heads, ", "))]
    RevisionMultipleHeads {
        /// The heads.
        heads: Vec<String>,
    },
    /// `revision --head X` where X is not a head, without `--splice`.
    #[error("Revision {revision} is not a head revision; please specify --splice to create a new branch from this revision")]
    NotAHead {
        /// The revision.
        revision: String,
    },
    /// `merge` with fewer than two heads.
    #[error("nothing to merge: {}", if .revisions.is_empty() { "there are no revisions".to_string() } else { format!("{} is the only head", list_some(.revisions, ", ")) })]
    NothingToMerge {
        /// The revisions given.
        revisions: Vec<String>,
    },
    /// A branch label that is already used.
    #[error("Branch name '{label}' is already used by revision {revision}")]
    LabelInUse {
        /// The label.
        label: String,
        /// The revision carrying it.
        revision: String,
    },
}

fn suggestion_text(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean '{s}'?"),
        None => String::new(),
    }
}

fn quoted(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
    list_some(&quoted, ", ")
}
