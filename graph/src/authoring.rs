//! The graph side of writing new revisions: which parents a new revision or a merge gets.

use crate::error::Error;
use crate::graph::{Edges, Graph};

impl Graph {
    /// The `down_revision` of a new revision (Alembic's `revision --head`).
    ///
    /// `head` defaults to `head`, which fails with several heads; `base` starts a new base
    /// (which then needs a branch label). A revision that is not a head needs `splice`, which
    /// starts a new branch from it.
    pub fn new_revision_parents(
        &self,
        head: Option<&str>,
        splice: bool,
    ) -> Result<Vec<String>, Error> {
        let head = head.unwrap_or("head");
        let spec = self.parse_spec(head)?;
        let parents = if spec.relative.is_none() && spec.symbol == Some("head") {
            match self.current_head(spec.branch, head) {
                Ok(h) => h.into_iter().collect(),
                Err(Error::MultipleHeads { heads, .. }) if spec.branch.is_none() => {
                    return Err(Error::RevisionMultipleHeads { heads })
                }
                Err(e) => return Err(e),
            }
        } else {
            self.resolve_absolute(head)?
        };
        if !splice {
            for &p in &parents {
                if !self.children[p as usize].is_empty() {
                    return Err(Error::NotAHead {
                        revision: self.rev(p).id.clone(),
                    });
                }
            }
        }
        Ok(self.ids(&parents))
    }

    /// The `down_revision` of a merge of `revisions` (`heads` means every head).
    ///
    /// Unlike Alembic, merging a single head is an error rather than an ordinary revision.
    pub fn merge_parents(&self, revisions: &[&str]) -> Result<Vec<String>, Error> {
        let mut parents: Vec<u32> = Vec::new();
        for r in revisions {
            for p in self.resolve_absolute(r)? {
                if !parents.contains(&p) {
                    parents.push(p);
                }
            }
        }
        if parents.len() < 2 {
            return Err(Error::NothingToMerge {
                revisions: self.ids(&parents),
            });
        }
        for &p in &parents {
            let below = self.ancestors(&[p], Edges::Versioned);
            if let Some(&other) = parents.iter().find(|&&o| o != p && below.contains(o)) {
                return Err(Error::Overlap {
                    revision: self.rev(other).id.clone(),
                    others: vec![self.rev(p).id.clone()],
                });
            }
        }
        Ok(self.ids(&parents))
    }

    /// Checks that a new branch label is free.
    pub fn check_new_label(&self, label: &str) -> Result<(), Error> {
        if let Some(&owner) = self.labels.get(label) {
            return Err(Error::LabelInUse {
                label: label.to_string(),
                revision: self.rev(owner).id.clone(),
            });
        }
        if self.idx(label).is_some() {
            return Err(Error::LabelInUse {
                label: label.to_string(),
                revision: label.to_string(),
            });
        }
        Ok(())
    }
}
