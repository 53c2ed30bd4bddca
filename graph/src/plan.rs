//! Planning: for the current heads of a database and a target, the ordered steps and the
//! version-table change of each, exactly as Alembic records them.
//!
//! The version table holds one row per current head. An upgrade step of revision `r`:
//! - *creates a branch* (INSERT `r`) when none of `r`'s parents is a current row (a base, or
//!   the first revision of a branch whose branch point stays current through another row);
//! - *merges* (DELETE all parents but the last, UPDATE the last to `r`) when two or more of its
//!   parents are current rows;
//! - otherwise moves its row (UPDATE parent to `r`).
//!
//! A downgrade step of `r`:
//! - *closes a branch* (DELETE `r`) when `r` is a base, or when every parent stays implied:
//!   another applied revision still stands on it (through `down_revision` or `depends_on`), so
//!   another row already covers it;
//! - *unmerges* (UPDATE `r` to its first parent that is not implied, INSERT the others) when
//!   several parents come back;
//! - otherwise moves its row back (UPDATE `r` to its parent).
//!
//! Dependencies count as parents for these rules (after normalisation, see [`crate::Graph`]).

use crate::error::Error;
use crate::graph::{Edges, Graph};
use crate::revision::Revision;
use crate::set::Set;
use crate::target::Pos;

/// Which way a step goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Apply revisions.
    Upgrade,
    /// Revert revisions.
    Downgrade,
}

/// A change to the version table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VersionOp {
    /// `INSERT INTO alembic_version (version_num) VALUES (..)`
    Insert(String),
    /// `UPDATE alembic_version SET version_num = to WHERE version_num = from`
    Update {
        /// The row's old value.
        from: String,
        /// The row's new value.
        to: String,
    },
    /// `DELETE FROM alembic_version WHERE version_num = ..`
    Delete(String),
}

/// One step of a plan: a revision applied or reverted (or, for a stamp, rows moved without
/// running SQL), with its version-table changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step<'g> {
    /// The revision whose SQL runs; `None` for stamp steps, which run no SQL.
    pub revision: Option<&'g Revision>,
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// The revisions the step goes from (as in Alembic's "Running upgrade a, b -> c").
    pub from: Vec<&'g str>,
    /// The revisions the step goes to.
    pub to: Vec<&'g str>,
    /// The version-table changes, in order.
    pub ops: Vec<VersionOp>,
}

/// An ordered plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<'g> {
    /// The current heads the plan starts from.
    pub heads_before: Vec<&'g str>,
    /// The steps, in order.
    pub steps: Vec<Step<'g>>,
    /// The version-table rows after the plan, in the order they were written.
    pub heads_after: Vec<&'g str>,
}

impl<'g> Plan<'g> {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// The current rows while a plan is built: every operation is O(1), and the rows keep the
/// order in which they were written.
struct Rows {
    /// Rows in write order; `None` where a row was deleted.
    slots: Vec<Option<u32>>,
    /// For each revision, its slot while it is a row.
    slot_of: Vec<u32>,
}

impl Rows {
    const NONE: u32 = u32::MAX;

    fn new(n: usize, current: &[u32]) -> Self {
        let mut rows = Rows {
            slots: Vec::with_capacity(current.len()),
            slot_of: vec![Self::NONE; n],
        };
        for &c in current {
            rows.insert(c);
        }
        rows
    }
    fn contains(&self, i: u32) -> bool {
        self.slot_of[i as usize] != Self::NONE
    }
    fn insert(&mut self, i: u32) {
        if !self.contains(i) {
            self.slot_of[i as usize] = u32::try_from(self.slots.len()).unwrap_or(Self::NONE);
            self.slots.push(Some(i));
        }
    }
    fn delete(&mut self, i: u32) {
        let slot = self.slot_of[i as usize];
        if slot != Self::NONE {
            self.slots[slot as usize] = None;
            self.slot_of[i as usize] = Self::NONE;
        }
    }
    fn update(&mut self, from: u32, to: u32) {
        let slot = self.slot_of[from as usize];
        if slot != Self::NONE {
            self.slots[slot as usize] = Some(to);
            self.slot_of[from as usize] = Self::NONE;
            self.slot_of[to as usize] = slot;
        }
    }
    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots.iter().flatten().copied()
    }
}

impl Graph {
    /// Checks that no target is an ancestor of another, in one traversal.
    fn check_overlap(&self, targets: &[u32]) -> Result<(), Error> {
        if targets.len() < 2 {
            return Ok(());
        }
        let n = self.len();
        let mut is_target = Set::new(n);
        for &t in targets {
            is_target.insert(t);
        }
        // Walk down from every target's parents, remembering which target got there first.
        let mut origin: Vec<u32> = vec![u32::MAX; n];
        let mut stack: Vec<(u32, u32)> = Vec::new();
        for &t in targets {
            for &p in &self.norm[t as usize] {
                stack.push((p, t));
            }
        }
        while let Some((node, from)) = stack.pop() {
            if origin[node as usize] != u32::MAX {
                continue;
            }
            origin[node as usize] = from;
            if is_target.contains(node) {
                return Err(Error::Overlap {
                    revision: self.rev(node).id.clone(),
                    others: vec![self.rev(from).id.clone()],
                });
            }
            for &p in &self.norm[node as usize] {
                stack.push((p, from));
            }
        }
        Ok(())
    }

    /// Plans an upgrade from `current` (the version table's rows) to `target`.
    pub fn plan_upgrade(&self, current: &[&str], target: &str) -> Result<Plan<'_>, Error> {
        let current = self.resolve_current(current)?;
        let targets = self.upgrade_targets(&current, target)?;
        self.check_overlap(&targets)?;
        let mut needed = self.ancestors(&targets, Edges::WithDependencies);
        needed.difference_with(&self.ancestors(&current, Edges::WithDependencies));
        let mut order = self.order_downward(&needed, &targets);
        order.reverse();
        Ok(self.steps(&current, &order, Direction::Upgrade))
    }

    /// The rows the version table holds once every revision is applied: after `upgrade heads`
    /// (from any state; the rows do not depend on where the upgrade started). These are the
    /// [`heads`](Graph::heads) less the heads that another revision depends on (`depends_on`):
    /// such a head is applied, but implied by the row of the revision that depends on it. For
    /// `a`, `c` and `b` (down_revision `c`, depends_on `a`) the heads are `a` and `b`, and the
    /// version table holds `b` alone.
    ///
    /// In the order [`plan_upgrade`](Graph::plan_upgrade) writes them from an empty table. A
    /// runtime compares these, not the heads, with the version table to see that a database is
    /// up to date.
    pub fn heads_after_upgrade(&self) -> Vec<&str> {
        // Cannot fail on a built graph ("heads" resolves to heads that no revision stands on,
        // so none is an ancestor of another); the heads are the answer for an empty one.
        match self.plan_upgrade(&[], "heads") {
            Ok(plan) => plan.heads_after,
            Err(_) => self.heads(),
        }
    }

    /// Plans a downgrade from `current` to `target`.
    ///
    /// # Warning
    /// `<label>@base` reverts everything below the branch's base, which may include revisions
    /// of other branches that share those ancestors (Alembic's behaviour). Look at the plan
    /// before running it.
    pub fn plan_downgrade(&self, current: &[&str], target: &str) -> Result<Plan<'_>, Error> {
        let current = self.resolve_current(current)?;
        let (branch, destination) = self.downgrade_target(&current, target)?;
        let mut roots: Vec<u32> = match destination {
            Pos::Base => self.bases.clone(),
            Pos::Rev(d) => self.children[d as usize].clone(),
        };
        if let Some(label) = &branch {
            if roots.len() > 1 {
                let b = self.resolve_branch(label)?;
                let below = self.ancestors(&[b], Edges::Versioned);
                roots.retain(|&r| below.contains(r));
                if roots.is_empty() {
                    return Err(Error::NotADowngradeTarget {
                        target: target.to_string(),
                    });
                }
            }
        }
        let mut doomed = self.descendants(&roots, Edges::WithDependencies);
        doomed.intersect_with(&self.ancestors(&current, Edges::WithDependencies));
        if let Pos::Rev(d) = destination {
            if doomed.is_empty() && !current.contains(&d) {
                return Err(Error::NotADowngradeTarget {
                    target: target.to_string(),
                });
            }
        }
        let order = self.order_downward(&doomed, &current);
        Ok(self.steps(&current, &order, Direction::Downgrade))
    }

    /// Builds steps with version-table changes for revisions in run order.
    fn steps(&self, current: &[u32], order: &[u32], direction: Direction) -> Plan<'_> {
        let n = self.len();
        let mut rows = Rows::new(n, current);
        // For downgrades: how many applied revisions have each revision as a parent or
        // dependency. A parent with another applied child stays implied by that child's row.
        let mut applied_children: Vec<u32> = Vec::new();
        if direction == Direction::Downgrade {
            applied_children = vec![0; n];
            for a in self.ancestors(current, Edges::WithDependencies).iter() {
                for &p in &self.norm[a as usize] {
                    applied_children[p as usize] += 1;
                }
            }
        }
        let mut steps = Vec::with_capacity(order.len());
        for &r in order {
            let downs = &self.norm[r as usize];
            let id = self.rev(r).id.clone();
            let mut ops = Vec::new();
            let step = match direction {
                Direction::Upgrade => {
                    // Rows are the heads of the applied set, so no row implies another: every
                    // parent that is a row takes part in a merge.
                    let present: Vec<u32> = downs
                        .iter()
                        .copied()
                        .filter(|&d| rows.contains(d))
                        .collect();
                    if let Some((&last, rest)) = present.split_last() {
                        for &d in rest {
                            ops.push(VersionOp::Delete(self.rev(d).id.clone()));
                            rows.delete(d);
                        }
                        ops.push(VersionOp::Update {
                            from: self.rev(last).id.clone(),
                            to: id.clone(),
                        });
                        rows.update(last, r);
                    } else {
                        ops.push(VersionOp::Insert(id.clone()));
                        rows.insert(r);
                    }
                    Step {
                        revision: Some(self.rev(r)),
                        direction,
                        from: downs
                            .iter()
                            .filter(|d| self.parents[r as usize].contains(d))
                            .map(|&d| self.rev(d).id.as_str())
                            .collect(),
                        to: vec![self.rev(r).id.as_str()],
                        ops,
                    }
                }
                Direction::Downgrade => {
                    // The parents that no other applied revision implies come back as rows.
                    for &d in downs {
                        applied_children[d as usize] =
                            applied_children[d as usize].saturating_sub(1);
                    }
                    let back: Vec<u32> = downs
                        .iter()
                        .copied()
                        .filter(|&d| applied_children[d as usize] == 0)
                        .collect();
                    if !rows.contains(r) {
                        // Not a row (implied by another head's dependency): nothing to record.
                    } else if back.is_empty() {
                        ops.push(VersionOp::Delete(id.clone()));
                        rows.delete(r);
                    } else {
                        ops.push(VersionOp::Update {
                            from: id.clone(),
                            to: self.rev(back[0]).id.clone(),
                        });
                        rows.update(r, back[0]);
                        for &b in &back[1..] {
                            ops.insert(ops.len() - 1, VersionOp::Insert(self.rev(b).id.clone()));
                            rows.insert(b);
                        }
                    }
                    Step {
                        revision: Some(self.rev(r)),
                        direction,
                        from: vec![self.rev(r).id.as_str()],
                        to: self.parents[r as usize]
                            .iter()
                            .map(|&d| self.rev(d).id.as_str())
                            .collect(),
                        ops,
                    }
                }
            };
            steps.push(step);
        }
        Plan {
            heads_before: current.iter().map(|&c| self.rev(c).id.as_str()).collect(),
            steps,
            heads_after: rows.iter().map(|c| self.rev(c).id.as_str()).collect(),
        }
    }

    /// Plans a stamp: moves the version table to `target` without running any SQL. With
    /// `purge`, the table is emptied first (no check of the current rows, which may be unknown).
    ///
    /// # Warning
    /// A stamp changes what aludel believes is applied; the schema is not touched.
    pub fn plan_stamp(
        &self,
        current: &[&str],
        target: &str,
        purge: bool,
    ) -> Result<Plan<'_>, Error> {
        let mut ops = Vec::new();
        let current: Vec<u32> = if purge {
            for c in current {
                ops.push(VersionOp::Delete((*c).to_string()));
            }
            Vec::new()
        } else {
            self.resolve_current(current)?
        };
        let mut rows = Rows::new(self.len(), &current);
        let spec = self.parse_spec(target)?;
        let destinations: Vec<u32> = if spec.relative.is_none() && spec.symbol == Some("head") {
            match self.current_head(spec.branch, target) {
                Ok(h) => h.into_iter().collect(),
                Err(Error::MultipleHeads { heads, .. }) => {
                    return Err(Error::StampMultipleHeads { heads })
                }
                Err(e) => return Err(e),
            }
        } else {
            self.upgrade_targets(&current, target)?
        };
        self.check_overlap(&destinations)?;
        let mut steps = Vec::new();
        if !ops.is_empty() {
            steps.push(Step {
                revision: None,
                direction: Direction::Downgrade,
                from: Vec::new(),
                to: Vec::new(),
                ops: std::mem::take(&mut ops),
            });
        }
        if destinations.is_empty() {
            // To base: delete the rows of the named branch, or every row.
            let doomed: Vec<u32> = match spec.branch {
                Some(label) => self.filter_for_lineage(&rows.iter().collect::<Vec<_>>(), label)?,
                None => rows.iter().collect(),
            };
            for d in doomed {
                rows.delete(d);
                steps.push(Step {
                    revision: None,
                    direction: Direction::Downgrade,
                    from: vec![self.rev(d).id.as_str()],
                    to: Vec::new(),
                    ops: vec![VersionOp::Delete(self.rev(d).id.clone())],
                });
            }
        }
        for &dest in &destinations {
            if rows.contains(dest) {
                continue;
            }
            let lineage = {
                let mut l = self.ancestors(&[dest], Edges::WithDependencies);
                l.union_with(&self.descendants(&[dest], Edges::WithDependencies));
                l
            };
            let related: Vec<u32> = rows.iter().filter(|&h| lineage.contains(h)).collect();
            let above = self.descendants(&[dest], Edges::WithDependencies);
            let direction = if related.iter().any(|&h| above.contains(h)) {
                Direction::Downgrade
            } else {
                Direction::Upgrade
            };
            // The related rows move to the destination as one step (like a merge); a
            // destination on a branch without a row gets a new row.
            let mut ops = Vec::new();
            if let Some((&last, rest)) = related.split_last() {
                for &d in rest {
                    ops.push(VersionOp::Delete(self.rev(d).id.clone()));
                    rows.delete(d);
                }
                ops.push(VersionOp::Update {
                    from: self.rev(last).id.clone(),
                    to: self.rev(dest).id.clone(),
                });
                rows.update(last, dest);
            } else {
                ops.push(VersionOp::Insert(self.rev(dest).id.clone()));
                rows.insert(dest);
            }
            steps.push(Step {
                revision: None,
                direction,
                from: related.iter().map(|&h| self.rev(h).id.as_str()).collect(),
                to: vec![self.rev(dest).id.as_str()],
                ops,
            });
        }
        Ok(Plan {
            heads_before: if purge {
                Vec::new()
            } else {
                current.iter().map(|&c| self.rev(c).id.as_str()).collect()
            },
            steps,
            heads_after: rows.iter().map(|c| self.rev(c).id.as_str()).collect(),
        })
    }

    /// The revisions of a `from:to` range (or of a single target, meaning `base:target`),
    /// newest first, as `alembic history -r` lists them. An empty side means `base` (lower) or
    /// `heads` (upper); the lower end is included.
    pub fn history(&self, range: Option<&str>) -> Result<Vec<&Revision>, Error> {
        let (lower, upper) = match range {
            None => ("base", "heads"),
            Some(r) => match r.split_once(':') {
                Some((l, u)) => (
                    if l.is_empty() { "base" } else { l },
                    if u.is_empty() { "heads" } else { u },
                ),
                None => ("base", r),
            },
        };
        let uppers = self.resolve_absolute(upper)?;
        let lowers = self.resolve_absolute(lower)?;
        self.check_overlap(&uppers)?;
        let mut set = self.ancestors(&uppers, Edges::WithDependencies);
        for &l in &lowers {
            if !set.contains(l) {
                return Err(Error::NotAnAncestor {
                    lower: self.rev(l).id.clone(),
                    upper: upper.to_string(),
                });
            }
        }
        if !lowers.is_empty() {
            let mut below = self.ancestors(&lowers, Edges::WithDependencies);
            for &l in &lowers {
                below.remove(l);
            }
            set.difference_with(&below);
            set.intersect_with(&self.descendants(&lowers, Edges::Versioned));
        }
        Ok(self
            .order_downward(&set, &uppers)
            .into_iter()
            .map(|i| self.rev(i))
            .collect())
    }

    /// Plans an offline script (`upgrade --sql`, `downgrade --sql`) without a database.
    ///
    /// An upgrade takes `to` (from base) or `from:to`; a downgrade requires `from:to`, as in
    /// Alembic. `from` stands for the version table's rows at the start.
    pub fn plan_offline(&self, direction: Direction, range: &str) -> Result<Plan<'_>, Error> {
        let (from, to) = match (range.split_once(':'), direction) {
            (Some((from, to)), _) => (if from.is_empty() { "base" } else { from }, to),
            (None, Direction::Upgrade) => ("base", range),
            (None, Direction::Downgrade) => return Err(Error::SqlRangeRequired),
        };
        let start = self.resolve_absolute(from)?;
        let start: Vec<&str> = start.iter().map(|&i| self.rev(i).id.as_str()).collect();
        match direction {
            Direction::Upgrade => {
                self.plan_upgrade(&start, if to.is_empty() { "heads" } else { to })
            }
            Direction::Downgrade => {
                self.plan_downgrade(&start, if to.is_empty() { "base" } else { to })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Graph, GraphOptions, Revision};

    fn graph(revisions: Vec<Revision>) -> Graph {
        let options = GraphOptions {
            allow_multiple_heads: true,
            ..GraphOptions::default()
        };
        Graph::build(revisions, &options).unwrap_or_else(|d| panic!("{d:?}"))
    }

    #[test]
    fn heads_after_upgrade_leaves_out_heads_that_are_only_a_dependency() {
        let mut a = Revision::new("a", &[]);
        a.branch_labels = vec!["x".to_string()];
        let c = Revision::new("c", &[]);
        let mut b = Revision::new("b", &["c"]);
        b.depends_on = vec!["a".to_string()];
        let g = graph(vec![a, b, c]);
        assert_eq!(g.heads(), ["a", "b"]);
        assert_eq!(g.heads_after_upgrade(), ["b"]);
        // The same rows whatever the upgrade starts from.
        for start in [&[][..], &["a"][..], &["c"][..], &["a", "c"][..], &["b"][..]] {
            let plan = g
                .plan_upgrade(start, "heads")
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(plan.heads_after, ["b"], "from {start:?}");
        }
    }

    #[test]
    fn heads_after_upgrade_without_dependencies_are_the_heads() {
        let g = graph(vec![
            Revision::new("a", &[]),
            Revision::new("b", &["a"]),
            Revision::new("c", &["a"]),
        ]);
        assert_eq!(g.heads(), ["b", "c"]);
        let mut rows = g.heads_after_upgrade();
        rows.sort_unstable();
        assert_eq!(rows, ["b", "c"]);
        assert!(Graph::empty().heads_after_upgrade().is_empty());
    }
}
