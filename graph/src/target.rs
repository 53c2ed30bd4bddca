//! Target resolution: the identifier grammar of Alembic.
//!
//! | form | meaning |
//! |---|---|
//! | `<id>` | that revision; a branch label also names the revision that carries it |
//! | `<prefix>` | the one revision whose id starts with it (ids of four characters or more) |
//! | `head` / `heads` / `base` | the single head / all heads / the empty state |
//! | `+N` / `-N` | N steps up or down from the current revision |
//! | `<rev>+N` / `<rev>-N`, `base+N`, `head-N` | N steps from a revision |
//! | `<label>@head`, `<label>@heads`, `<label>@base` | the head / heads / base of a branch |
//! | `<label>@<rev>` | the revision, checked to be in the branch's lineage |
//! | `<label>@+N`, `<label>@-N`, `<label>@head-N`, `<label>@base+N` | steps within a branch |
//! | `<from>:<to>` | a range (history, offline SQL) |
//!
//! `<label>` may also be a revision id or prefix used as a branch name (`c2@b`).

use crate::error::Error;
use crate::graph::{Edges, Graph};
use crate::set::Set;

/// A position in the history: before every revision, or at a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pos {
    Base,
    Rev(u32),
}

/// A parsed target expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec<'a> {
    pub(crate) raw: &'a str,
    pub(crate) branch: Option<&'a str>,
    pub(crate) symbol: Option<&'a str>,
    /// The relative part: its text (`+2`) and signed value.
    pub(crate) relative: Option<(&'a str, i64)>,
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Graph {
    pub(crate) fn parse_spec<'a>(&self, raw: &'a str) -> Result<Spec<'a>, Error> {
        let syntax = |reason: &str| Error::Syntax {
            target: raw.to_string(),
            reason: reason.to_string(),
        };
        if raw.trim().is_empty() {
            return Err(syntax("the target is empty"));
        }
        if raw.trim() != raw || raw.contains(char::is_whitespace) {
            return Err(syntax("a target contains no spaces"));
        }
        let (branch, rest) = match raw.split_once('@') {
            Some((branch, rest)) => {
                if branch.is_empty() {
                    return Err(syntax("nothing before '@'; write <branchname>@<target>"));
                }
                if rest.contains('@') {
                    return Err(syntax("a target has at most one '@'"));
                }
                (Some(branch), rest)
            }
            None => (None, raw),
        };
        if rest.is_empty() {
            return Err(syntax("nothing after '@'; write e.g. <branchname>@head"));
        }
        // A whole word that names something is absolute even when it looks relative.
        let names_something = self.idx(rest).is_some() || self.labels.contains_key(rest);
        if !names_something {
            if let Some(pos) = rest.rfind(['+', '-']) {
                let digits = &rest[pos + 1..];
                let symbol = &rest[..pos];
                if !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && (symbol.is_empty() || is_word(symbol))
                {
                    let magnitude: i64 = digits
                        .parse()
                        .map_err(|_| syntax("the step count is too large"))?;
                    let value = if rest.as_bytes()[pos] == b'-' {
                        -magnitude
                    } else {
                        magnitude
                    };
                    return Ok(Spec {
                        raw,
                        branch,
                        symbol: (!symbol.is_empty()).then_some(symbol),
                        relative: Some((&rest[pos..], value)),
                    });
                }
            }
        }
        Ok(Spec {
            raw,
            branch,
            symbol: Some(rest),
            relative: None,
        })
    }

    /// The revision a branch name stands for: a label, a revision id, or a unique prefix.
    pub(crate) fn resolve_branch(&self, label: &str) -> Result<u32, Error> {
        if let Some(&i) = self.labels.get(label) {
            return Ok(i);
        }
        if let Some(i) = self.idx(label) {
            return Ok(i);
        }
        match self.revision_for_ident(label, None) {
            Ok(i) => Ok(i),
            Err(Error::AmbiguousPrefix { prefix, candidates }) => {
                Err(Error::AmbiguousPrefix { prefix, candidates })
            }
            Err(_) => Err(Error::NoSuchBranch {
                label: label.to_string(),
            }),
        }
    }

    /// Everything that shares lineage with the branch: its ancestors and descendants.
    pub(crate) fn lineage(&self, branch: u32) -> Set {
        let mut set = self.ancestors(&[branch], Edges::Versioned);
        set.union_with(&self.descendants(&[branch], Edges::Versioned));
        set
    }

    pub(crate) fn filter_for_lineage(
        &self,
        targets: &[u32],
        label: &str,
    ) -> Result<Vec<u32>, Error> {
        let branch = self.resolve_branch(label)?;
        let lineage = self.lineage(branch);
        Ok(targets
            .iter()
            .copied()
            .filter(|&t| lineage.contains(t))
            .collect())
    }

    /// Looks up an id, a branch label or a unique id prefix; with `branch`, checks that the
    /// revision is in the branch's lineage.
    pub(crate) fn revision_for_ident(
        &self,
        ident: &str,
        branch: Option<&str>,
    ) -> Result<u32, Error> {
        let branch_rev = branch.map(|b| self.resolve_branch(b)).transpose()?;
        let found = match self.idx(ident).or_else(|| self.labels.get(ident).copied()) {
            Some(i) => i,
            None => {
                let mut candidates: Vec<u32> = self
                    .revisions
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.id.len() > 3 && r.id.starts_with(ident))
                    .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
                    .collect();
                if let Some(b) = branch_rev {
                    let lineage = self.lineage(b);
                    candidates.retain(|&c| lineage.contains(c));
                }
                match candidates.len() {
                    0 => {
                        let suggestion = crate::diagnostic::nearest(
                            ident,
                            self.revisions
                                .iter()
                                .map(|r| r.id.as_str())
                                .chain(self.labels.keys().map(String::as_str)),
                        )
                        .map(str::to_string);
                        return Err(Error::UnknownRevision {
                            ident: ident.to_string(),
                            suggestion,
                        });
                    }
                    1 => candidates[0],
                    _ => {
                        let mut ids = self.ids(&candidates);
                        ids.sort();
                        return Err(Error::AmbiguousPrefix {
                            prefix: ident.to_string(),
                            candidates: ids,
                        });
                    }
                }
            }
        };
        if let (Some(b), Some(label)) = (branch_rev, branch) {
            if !self.lineage(b).contains(found) {
                return Err(Error::NotInBranch {
                    revision: self.rev(found).id.clone(),
                    branch: label.to_string(),
                });
            }
        }
        Ok(found)
    }

    /// The single head, within a branch when one is named; `None` for an empty history.
    pub(crate) fn current_head(
        &self,
        branch: Option<&str>,
        argument: &str,
    ) -> Result<Option<u32>, Error> {
        let heads = match branch {
            Some(label) => self.filter_for_lineage(&self.heads, label)?,
            None => self.heads.clone(),
        };
        match heads.len() {
            0 => Ok(None),
            1 => Ok(Some(heads[0])),
            _ => Err(Error::MultipleHeads {
                argument: argument.to_string(),
                heads: self.ids(&heads),
            }),
        }
    }

    /// Resolves an absolute symbol (`head`, `heads`, `base`, an id, a prefix, a label) within
    /// an optional branch. `base` resolves to no revision.
    pub(crate) fn resolve_symbol(
        &self,
        branch: Option<&str>,
        symbol: &str,
        raw: &str,
    ) -> Result<Vec<u32>, Error> {
        match symbol {
            "heads" => match branch {
                Some(label) => self.filter_for_lineage(&self.heads, label),
                None => Ok(self.real_heads.clone()),
            },
            "head" => Ok(self.current_head(branch, raw)?.into_iter().collect()),
            "base" => {
                if let Some(label) = branch {
                    self.resolve_branch(label)?;
                }
                Ok(Vec::new())
            }
            ident => Ok(vec![self.revision_for_ident(ident, branch)?]),
        }
    }

    /// Resolves a symbol that must name at most one position.
    pub(crate) fn resolve_pos(
        &self,
        branch: Option<&str>,
        symbol: &str,
        raw: &str,
    ) -> Result<Pos, Error> {
        let revs = self.resolve_symbol(branch, symbol, raw)?;
        match revs.as_slice() {
            [] => Ok(Pos::Base),
            [one] => Ok(Pos::Rev(*one)),
            many => Err(Error::MultipleHeads {
                argument: raw.to_string(),
                heads: self.ids(many),
            }),
        }
    }

    /// Walks `steps` up (positive) or down (negative). Up, `branch` filters the children.
    /// `Ok(None)` when the walk leaves the history.
    pub(crate) fn walk_steps(
        &self,
        start: Pos,
        steps: i64,
        branch: Option<&str>,
    ) -> Result<Option<Pos>, Error> {
        let lineage = match branch {
            Some(label) if steps > 0 => Some(self.lineage(self.resolve_branch(label)?)),
            _ => None,
        };
        let mut pos = start;
        for _ in 0..steps.unsigned_abs() {
            let next: Vec<Pos> = if steps > 0 {
                let up: &[u32] = match pos {
                    Pos::Base => &self.bases,
                    Pos::Rev(i) => &self.children[i as usize],
                };
                up.iter()
                    .copied()
                    .filter(|&c| lineage.as_ref().is_none_or(|l| l.contains(c)))
                    .map(Pos::Rev)
                    .collect()
            } else {
                match pos {
                    Pos::Base => Vec::new(),
                    Pos::Rev(i) if self.parents[i as usize].is_empty() => vec![Pos::Base],
                    Pos::Rev(i) => self.parents[i as usize]
                        .iter()
                        .copied()
                        .map(Pos::Rev)
                        .collect(),
                }
            };
            match next.as_slice() {
                [] => return Ok(None),
                [one] => pos = *one,
                many => {
                    let at = match pos {
                        Pos::Base => "base".to_string(),
                        Pos::Rev(i) => self.rev(i).id.clone(),
                    };
                    return Err(Error::AmbiguousWalk {
                        revision: at,
                        downward: steps < 0,
                        candidates: many
                            .iter()
                            .map(|p| match p {
                                Pos::Base => "base".to_string(),
                                Pos::Rev(i) => self.rev(*i).id.clone(),
                            })
                            .collect(),
                    });
                }
            }
        }
        Ok(Some(pos))
    }

    fn overshoot(spec: &Spec<'_>) -> Error {
        let (text, value) = spec.relative.unwrap_or(("", 0));
        Error::RelativeOvershoot {
            relative: text.to_string(),
            steps: value.unsigned_abs(),
        }
    }

    /// Resolves a target without a database state: relative forms count from the named
    /// revision, from `base` (`+N`) or from the heads (`-N`, `label@-N`).
    pub fn resolve(&self, target: &str) -> Result<Vec<&str>, Error> {
        let revs = self.resolve_absolute(target)?;
        Ok(revs.iter().map(|&i| self.rev(i).id.as_str()).collect())
    }

    pub(crate) fn resolve_absolute(&self, target: &str) -> Result<Vec<u32>, Error> {
        let spec = self.parse_spec(target)?;
        let Some((_, steps)) = spec.relative else {
            let symbol = spec.symbol.unwrap_or("heads");
            return self.resolve_symbol(spec.branch, symbol, spec.raw);
        };
        let start = match spec.symbol {
            Some(symbol) => self.resolve_pos(spec.branch, symbol, spec.raw)?,
            None if steps > 0 => Pos::Base,
            None => match self.current_head(spec.branch, spec.raw)? {
                Some(h) => Pos::Rev(h),
                None => Pos::Base,
            },
        };
        match self.walk_steps(start, steps, spec.branch)? {
            Some(Pos::Rev(i)) => Ok(vec![i]),
            Some(Pos::Base) => Ok(Vec::new()),
            None => Err(Self::overshoot(&spec)),
        }
    }

    /// Resolves current database rows (version table values) to revisions.
    pub(crate) fn resolve_current(&self, current: &[&str]) -> Result<Vec<u32>, Error> {
        let mut out: Vec<u32> = Vec::with_capacity(current.len());
        for id in current {
            match self.idx(id) {
                Some(i) => {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
                None => {
                    return Err(Error::UnknownCurrent {
                        revision: id.to_string(),
                    })
                }
            }
        }
        Ok(out)
    }

    /// The revisions an upgrade goes to (Alembic's upgrade-target rules).
    pub(crate) fn upgrade_targets(&self, current: &[u32], target: &str) -> Result<Vec<u32>, Error> {
        let spec = self.parse_spec(target)?;
        let Some((_, steps)) = spec.relative else {
            return self.resolve_absolute(target);
        };
        if steps <= 0 && spec.symbol.is_none() {
            return Err(Self::overshoot(&spec));
        }
        let start = match spec.symbol {
            Some(symbol) => self.resolve_pos(spec.branch, symbol, spec.raw)?,
            None => {
                let mut starts: Vec<Pos> = current.iter().map(|&c| Pos::Rev(c)).collect();
                if let Some(label) = spec.branch {
                    let on_branch = self.filter_for_lineage(current, label)?;
                    starts = on_branch.iter().map(|&c| Pos::Rev(c)).collect();
                    if starts.is_empty() {
                        // The branch is not current: start from where it leaves the applied
                        // revisions (its branch point), or from base.
                        let applied = self.ancestors(current, Edges::Versioned);
                        let applied: Vec<u32> = applied.iter().collect();
                        let active = self.filter_for_lineage(&applied, label)?;
                        let mut tips: Vec<u32> = active
                            .iter()
                            .copied()
                            .filter(|&a| {
                                !active.iter().any(|&b| self.norm[b as usize].contains(&a))
                            })
                            .collect();
                        tips.sort_unstable();
                        starts = tips.into_iter().map(Pos::Rev).collect();
                    }
                }
                match starts.as_slice() {
                    [] => Pos::Base,
                    [one] => *one,
                    _ => {
                        return Err(Error::AmbiguousUpgrade {
                            current: self.ids(current),
                        })
                    }
                }
            }
        };
        match self.walk_steps(start, steps, spec.branch)? {
            Some(Pos::Rev(i)) => Ok(vec![i]),
            Some(Pos::Base) => Ok(Vec::new()),
            None => Err(Self::overshoot(&spec)),
        }
    }

    /// The downgrade destination and the branch it is restricted to (Alembic's
    /// downgrade-target rules). `Pos::Base` means down to base.
    pub(crate) fn downgrade_target(
        &self,
        current: &[u32],
        target: &str,
    ) -> Result<(Option<String>, Pos), Error> {
        let spec = self.parse_spec(target)?;
        let Some((relative, steps)) = spec.relative else {
            let symbol = spec.symbol.unwrap_or("base");
            let pos = self.resolve_pos(spec.branch, symbol, spec.raw)?;
            return Ok((spec.branch.map(str::to_string), pos));
        };
        if steps >= 0 {
            let Some(symbol) = spec.symbol else {
                return Err(Self::overshoot(&spec));
            };
            let start = self.resolve_pos(spec.branch, symbol, spec.raw)?;
            return match self.walk_steps(start, steps, spec.branch)? {
                Some(pos) => Ok((spec.branch.map(str::to_string), pos)),
                None => Err(Self::overshoot(&spec)),
            };
        }
        match spec.symbol {
            Some(symbol) => {
                let start = self.resolve_pos(spec.branch, symbol, spec.raw)?;
                match self.walk_steps(start, steps, None)? {
                    Some(pos) => Ok((spec.branch.map(str::to_string), pos)),
                    None => Err(Self::overshoot(&spec)),
                }
            }
            None => {
                let (branch, start) = match spec.branch {
                    Some(label) => {
                        let mut on_branch = self.filter_for_lineage(current, label)?;
                        if on_branch.is_empty() {
                            // The branch's revisions are implied by another head.
                            let applied: Vec<u32> = self
                                .ancestors(current, Edges::WithDependencies)
                                .iter()
                                .collect();
                            let active = self.filter_for_lineage(&applied, label)?;
                            on_branch = active
                                .iter()
                                .copied()
                                .filter(|&a| {
                                    !active.iter().any(|&b| self.norm[b as usize].contains(&a))
                                })
                                .collect();
                        }
                        match on_branch.as_slice() {
                            [] => return Err(Self::overshoot(&spec)),
                            [one] => (label.to_string(), *one),
                            _ => {
                                return Err(Error::AmbiguousDowngrade {
                                    relative: relative.to_string(),
                                    current: self.ids(&on_branch),
                                })
                            }
                        }
                    }
                    None => match current {
                        [] => return Err(Self::overshoot(&spec)),
                        [one] => (self.rev(*one).id.clone(), *one),
                        _ => {
                            return Err(Error::AmbiguousDowngrade {
                                relative: relative.to_string(),
                                current: self.ids(current),
                            })
                        }
                    },
                };
                match self.walk_steps(Pos::Rev(start), steps, None)? {
                    Some(pos) => Ok((Some(branch), pos)),
                    None => Err(Self::overshoot(&spec)),
                }
            }
        }
    }
}
