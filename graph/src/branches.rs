//! Branch membership: which branch labels cover each revision.
//!
//! This is Alembic's rule (`RevisionMap._add_branches`, which fills `Revision.branch_labels`),
//! stated without its traversal. A branch label declared by revision `R` covers:
//!
//! 1. `R` and every revision above it through `down_revision` (its *descendants*; a revision
//!    that only depends on `R` does not count);
//! 2. and, only when everything from `R` up is one plain chain, the revisions below `R` down
//!    to, not including, the nearest branch point or merge.
//!
//! A revision is *plain* when it has at most one parent and at most one revision above it
//! (children and dependents counted together: Alembic's `_is_real_branch_point`). "One plain
//! chain" means `R` and each revision above it is plain, up to a head. Alembic walks the second
//! part down from the last descendant its depth-first search reaches, so a branch point or a
//! merge anywhere above `R` stops the walk before it reaches `R`; the set it computes does not
//! depend on the order of that search, and this module computes the same set directly.
//!
//! It follows that all revisions of one maximal plain chain that ends at a head (a *tail*)
//! carry the same labels: those of every labelled revision in the tail, plus those covering
//! the revision just below the tail. Every other revision carries the labels of the labelled
//! revisions at or below it.
//!
//! The membership is computed once per graph, on first use, in time linear in the number of
//! revisions plus, for each merge whose parents carry different labels, the labels below it;
//! label lists share their common part, so a long history with many labels stays small.

use crate::graph::Graph;

/// No list: no label covers the revision.
const NONE: u32 = u32::MAX;

/// The branch membership of every revision (see the module docs), as linked lists of
/// labelled revisions that share their tails.
#[derive(Debug, Clone, Default)]
pub(crate) struct Membership {
    /// Per revision (load order): the first cell of its list, or [`NONE`].
    list: Vec<u32>,
    /// `(labelled revision, next cell or NONE)`.
    cells: Vec<(u32, u32)>,
}

impl Membership {
    fn cons(&mut self, revision: u32, next: u32) -> u32 {
        let cell = u32::try_from(self.cells.len()).unwrap_or(NONE);
        self.cells.push((revision, next));
        cell
    }

    /// The labelled revisions on the list that starts at `cell`.
    fn walk(&self, mut cell: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::from_fn(move || {
            let &(revision, next) = self.cells.get(cell as usize)?;
            cell = next;
            Some(revision)
        })
    }

    /// The labelled revisions whose labels cover revision `i`, in no particular order.
    pub(crate) fn covering(&self, i: usize) -> impl Iterator<Item = u32> + '_ {
        self.walk(self.list.get(i).copied().unwrap_or(NONE))
    }

    pub(crate) fn compute(graph: &Graph) -> Membership {
        let n = graph.revisions.len();
        let mut out = Membership {
            list: vec![NONE; n],
            cells: Vec::new(),
        };
        if graph.revisions.iter().all(|r| r.branch_labels.is_empty()) {
            return out;
        }
        // Parents before children.
        let mut order = vec![0u32; n];
        for (i, &position) in graph.topo_pos.iter().enumerate() {
            if let Some(slot) = order.get_mut(position as usize) {
                *slot = u32::try_from(i).unwrap_or(NONE);
            }
        }
        let plain = |i: usize| graph.all_children[i].len() <= 1 && graph.parents[i].len() <= 1;
        // `chain[i]`: `i` and everything above it form one plain chain up to a head.
        let mut chain = vec![false; n];
        for &i in order.iter().rev() {
            let i = i as usize;
            chain[i] = plain(i)
                && match graph.children[i].as_slice() {
                    [] => true,
                    [child] => chain[*child as usize],
                    _ => false,
                };
        }
        let labelled = |i: usize| !graph.revisions[i].branch_labels.is_empty();

        // Outside the tails: the labelled revisions at or below each revision. A revision
        // outside a tail has only parents outside tails, so one pass upwards suffices.
        let mut mark = vec![false; n];
        for &i in &order {
            let i = i as usize;
            if chain[i] {
                continue;
            }
            let mut head = match graph.parents[i].as_slice() {
                [] => NONE,
                [parent] => out.list[*parent as usize],
                [first, rest @ ..] => {
                    let first = out.list[*first as usize];
                    if rest.iter().all(|&p| out.list[p as usize] == first) {
                        first
                    } else {
                        // Keep the first parent's list; put the others' extra labels in front.
                        let seen: Vec<u32> = out.walk(first).collect();
                        for &s in &seen {
                            mark[s as usize] = true;
                        }
                        let mut head = first;
                        let mut added: Vec<u32> = Vec::new();
                        for &p in rest {
                            let extra: Vec<u32> = out
                                .walk(out.list[p as usize])
                                .filter(|&r| !mark[r as usize])
                                .collect();
                            for r in extra {
                                mark[r as usize] = true;
                                added.push(r);
                                head = out.cons(r, head);
                            }
                        }
                        for r in seen.into_iter().chain(added) {
                            mark[r as usize] = false;
                        }
                        head
                    }
                }
            };
            if labelled(i) {
                head = out.cons(u32::try_from(i).unwrap_or(NONE), head);
            }
            out.list[i] = head;
        }

        // The tails: each starts at a revision in `chain` whose parent is not (or that has
        // none), and goes up through single children to a head.
        for &bottom in &order {
            let bottom = bottom as usize;
            if !chain[bottom] || graph.parents[bottom].iter().any(|&p| chain[p as usize]) {
                continue;
            }
            let mut head = graph.parents[bottom]
                .first()
                .map_or(NONE, |&p| out.list[p as usize]);
            let mut tail: Vec<usize> = Vec::new();
            let mut node = Some(bottom);
            while let Some(i) = node {
                tail.push(i);
                if labelled(i) {
                    head = out.cons(u32::try_from(i).unwrap_or(NONE), head);
                }
                node = graph.children[i].first().map(|&c| c as usize);
            }
            for i in tail {
                out.list[i] = head;
            }
        }
        out
    }
}

impl Graph {
    /// Every branch label that covers revision `id`, as Alembic's `heads`, `history` and
    /// `show` print them (Alembic's `Revision.branch_labels` after `RevisionMap._add_branches`):
    /// the labels of the revision and of every revision below it, and, when the revision lies
    /// in a plain chain that ends at a head, the labels declared above it in that chain. See
    /// the [module docs](crate::branches) for the exact rule.
    ///
    /// The order: the revision's own labels, then the others by the load order of the
    /// revisions that declare them (each revision's labels as declared). Empty for an unknown
    /// id. The first call computes the membership of every revision, in near-linear time.
    ///
    /// ```
    /// use aludel_graph::{Graph, GraphOptions, Revision};
    ///
    /// // a ← b[feat] ← c: the chain above b is plain, so the label also covers a.
    /// let graph = Graph::build(
    ///     vec![
    ///         Revision::new("a", &[]),
    ///         Revision::new("b", &["a"]).labels(&["feat"]),
    ///         Revision::new("c", &["b"]),
    ///     ],
    ///     &GraphOptions::default(),
    /// )
    /// .unwrap();
    /// assert_eq!(graph.branches_of("a"), ["feat"]);
    /// assert_eq!(graph.branches_of("c"), ["feat"]);
    /// ```
    pub fn branches_of(&self, id: &str) -> Vec<&str> {
        let Some(i) = self.idx(id) else {
            return Vec::new();
        };
        let membership = self.membership.get_or_init(|| Membership::compute(self));
        let mut covering: Vec<u32> = membership.covering(i as usize).collect();
        covering.sort_unstable_by_key(|&r| (r != i, r));
        covering.dedup();
        covering
            .into_iter()
            .flat_map(|r| self.rev(r).branch_labels.iter().map(String::as_str))
            .collect()
    }

    /// Whether branch label `label` covers revision `id` (see [`Graph::branches_of`]).
    pub fn on_branch(&self, id: &str, label: &str) -> bool {
        let (Some(i), Some(&owner)) = (self.idx(id), self.labels.get(label)) else {
            return false;
        };
        let membership = self.membership.get_or_init(|| Membership::compute(self));
        membership.covering(i as usize).any(|r| r == owner)
    }
}
