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
//! - *closes a branch* (DELETE `r`) when `r` is a base, or when every parent stays implied by
//!   another current row;
//! - *unmerges* (UPDATE `r` to its first parent that is not implied by another row, INSERT the
//!   others) when `r` has several parents;
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

/// The current rows while a plan is built.
struct Rows {
    rows: Vec<u32>,
}

impl Rows {
    fn contains(&self, i: u32) -> bool {
        self.rows.contains(&i)
    }
    fn insert(&mut self, i: u32) {
        self.rows.push(i);
    }
    fn delete(&mut self, i: u32) {
        self.rows.retain(|&r| r != i);
    }
    fn update(&mut self, from: u32, to: u32) {
        if let Some(r) = self.rows.iter_mut().find(|r| **r == from) {
            *r = to;
        }
    }
}

impl Graph {
    /// Checks that no target is an ancestor of another.
    fn check_overlap(&self, targets: &[u32]) -> Result<(), Error> {
        if targets.len() < 2 {
            return Ok(());
        }
        for &t in targets {
            let below = self.ancestors(&[t], Edges::WithDependencies);
            let others: Vec<u32> = targets
                .iter()
                .copied()
                .filter(|&o| o != t && below.contains(o))
                .collect();
            if !others.is_empty() {
                return Err(Error::Overlap {
                    revision: self.rev(others[0]).id.clone(),
                    others: vec![self.rev(t).id.clone()],
                });
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
        let mut rows = Rows {
            rows: current.to_vec(),
        };
        let mut steps = Vec::with_capacity(order.len());
        for &r in order {
            let downs = &self.norm[r as usize];
            let id = self.rev(r).id.clone();
            let mut ops = Vec::new();
            let step = match direction {
                Direction::Upgrade => {
                    let present: Vec<u32> = downs
                        .iter()
                        .copied()
                        .filter(|&d| rows.contains(d))
                        .collect();
                    if present.is_empty() {
                        ops.push(VersionOp::Insert(id.clone()));
                        rows.insert(r);
                    } else if present.len() > 1 {
                        // Parents implied by another row stay out of the merge.
                        let others: Vec<u32> = rows
                            .rows
                            .iter()
                            .copied()
                            .filter(|o| !present.contains(o))
                            .collect();
                        let implied = self.ancestors(&others, Edges::Versioned);
                        let mut merging: Vec<u32> = present
                            .iter()
                            .copied()
                            .filter(|&p| !implied.contains(p))
                            .collect();
                        if merging.is_empty() {
                            merging = present.clone();
                        }
                        let (last, rest) = merging
                            .split_last()
                            .map_or((present[0], &[][..]), |(l, r)| (*l, r));
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
                        ops.push(VersionOp::Update {
                            from: self.rev(present[0]).id.clone(),
                            to: id.clone(),
                        });
                        rows.update(present[0], r);
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
                    // The parents that no other row implies come back as rows.
                    let others: Vec<u32> = rows.rows.iter().copied().filter(|&o| o != r).collect();
                    let implied = if others.is_empty() {
                        Set::new(self.len())
                    } else {
                        self.ancestors(&others, Edges::WithDependencies)
                    };
                    let mut back: Vec<u32> = downs
                        .iter()
                        .copied()
                        .filter(|&d| !implied.contains(d))
                        .collect();
                    if back.len() > 1 {
                        // A parent implied by another returning parent stays implied.
                        let kept: Vec<u32> = back
                            .iter()
                            .copied()
                            .filter(|&d| {
                                let siblings: Vec<u32> =
                                    back.iter().copied().filter(|&o| o != d).collect();
                                !self
                                    .ancestors(&siblings, Edges::WithDependencies)
                                    .contains(d)
                            })
                            .collect();
                        back = kept;
                    }
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
            heads_after: rows.rows.iter().map(|&c| self.rev(c).id.as_str()).collect(),
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
        let mut rows = Rows {
            rows: current.clone(),
        };
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
                Some(label) => self.filter_for_lineage(&rows.rows, label)?,
                None => rows.rows.clone(),
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
            let related: Vec<u32> = rows
                .rows
                .iter()
                .copied()
                .filter(|&h| lineage.contains(h))
                .collect();
            let above = self.descendants(&[dest], Edges::WithDependencies);
            let direction = if related.iter().any(|&h| above.contains(h)) {
                Direction::Downgrade
            } else {
                Direction::Upgrade
            };
            let mut ops = Vec::new();
            if related.is_empty() {
                ops.push(VersionOp::Insert(self.rev(dest).id.clone()));
                rows.insert(dest);
            } else {
                let (last, rest) = related
                    .split_last()
                    .map_or((related[0], &[][..]), |(l, r)| (*l, r));
                for &d in rest {
                    ops.push(VersionOp::Delete(self.rev(d).id.clone()));
                    rows.delete(d);
                }
                ops.push(VersionOp::Update {
                    from: self.rev(last).id.clone(),
                    to: self.rev(dest).id.clone(),
                });
                rows.update(last, dest);
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
            heads_after: rows.rows.iter().map(|&c| self.rev(c).id.as_str()).collect(),
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
