//! The revision graph: Alembic's model, validated strictly.
//!
//! - The *parents* of a revision are its `down_revision`s. *Heads* are revisions that are no
//!   revision's parent; *bases* are revisions without parents.
//! - `depends_on` orders a revision after its dependencies without making them parents: a
//!   dependency is applied first, but it is not replaced in the version table.
//! - A dependency that is already an ancestor of the revision's other parents or dependencies
//!   is redundant and dropped (*normalised*), so that the version table never holds a row that
//!   another row implies.
//!
//! **Load order** is the order of revision files sorted by path (see [`crate::scan`]). It breaks
//! every tie: the order of heads and bases, and the order of sibling branches in history and in
//! plans.
//!
//! **Sibling order** of history and plans is Alembic's, computed in near-linear time. The walk
//! goes from the heads down (heads in load order), in *lanes*: a lane follows each revision's
//! first parent; the other parents and dependencies of a revision open new lanes at the end of
//! the lane list. A revision is listed only once every revision above it in the set is listed;
//! when a lane reaches a revision that another lane still has above it, the walk hands over to
//! the first such lane; when a lane ends, the walk resumes with the lane before it. Upgrades run
//! that list in reverse. For a merge `(d1, d2) <- e` the upgrade runs `d2`'s branch, then
//! `d1`'s, then `e`, as Alembic does. On the real histories in `shared/corpora` (Superset,
//! Neutron, Warehouse, aiida) history and plans come out in exactly Alembic's order.

use std::collections::HashMap;

use crate::diagnostic::{list_some, nearest, Diagnostic, Diagnostics, Location, LISTED};
use crate::revision::Revision;
use crate::set::Set;

/// Options of graph validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphOptions {
    /// Accept several heads (and bases) even when they carry no branch label.
    pub allow_multiple_heads: bool,
    /// The databases of a project of several (`[databases.<name>]` in aludel.toml), which the
    /// files' named sections must name; empty for a project of one database, whose files name
    /// none.
    pub databases: Vec<String>,
}

/// A validated revision graph.
#[derive(Debug, Clone)]
pub struct Graph {
    pub(crate) revisions: Vec<Revision>,
    pub(crate) index: HashMap<String, u32>,
    pub(crate) labels: HashMap<String, u32>,
    /// `down_revision`s.
    pub(crate) parents: Vec<Vec<u32>>,
    /// Resolved `depends_on`.
    pub(crate) deps: Vec<Vec<u32>>,
    /// Parents followed by the normalised dependencies.
    pub(crate) norm: Vec<Vec<u32>>,
    /// Revisions that name this one as `down_revision`.
    pub(crate) children: Vec<Vec<u32>>,
    /// Children plus revisions that depend on this one.
    pub(crate) all_children: Vec<Vec<u32>>,
    pub(crate) heads: Vec<u32>,
    pub(crate) real_heads: Vec<u32>,
    pub(crate) bases: Vec<u32>,
    /// Each revision's position in a topological order (parents and dependencies first).
    pub(crate) topo_pos: Vec<u32>,
    /// The branch labels covering each revision, computed on first use (see
    /// [`Graph::branches_of`]).
    pub(crate) membership: std::sync::OnceLock<crate::branches::Membership>,
}

/// Which edges a traversal follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edges {
    /// `down_revision` only.
    Versioned,
    /// `down_revision` plus dependencies.
    WithDependencies,
}

/// How many candidate ids all suggestions of one validation may compare (see
/// [`Graph::build`]): a few suggestions in a history of a hundred thousand revisions, every
/// suggestion in an ordinary one.
const SUGGESTION_BUDGET: usize = 250_000;

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Kahn's algorithm over `parents[i]` (the revisions `i` stands on): every revision after all
/// of its parents, ties broken by load order. Revisions on or above a cycle are left out.
fn kahn(parents: &[Vec<u32>]) -> Vec<u32> {
    use std::cmp::Reverse;
    let n = parents.len();
    let mut pending: Vec<usize> = parents.iter().map(Vec::len).collect();
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, list) in parents.iter().enumerate() {
        for &p in list {
            children[p as usize].push(to_u32(i));
        }
    }
    let mut ready: std::collections::BinaryHeap<Reverse<u32>> = (0..n)
        .filter(|&i| pending[i] == 0)
        .map(|i| Reverse(to_u32(i)))
        .collect();
    let mut out = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        out.push(i);
        for &c in &children[i as usize] {
            pending[c as usize] -= 1;
            if pending[c as usize] == 0 {
                ready.push(Reverse(c));
            }
        }
    }
    out
}

impl Graph {
    /// Builds and validates a graph from revisions in load order. Every problem is reported at
    /// once: duplicate ids (naming both files), unknown `down_revision` or `depends_on` (with the
    /// nearest id, while a budget of comparisons lasts: see `SUGGESTION_BUDGET`), self-loops and
    /// cycles (with the path), branch labels used twice, and several heads or bases that are not
    /// declared with branch labels. Messages list at most ten revisions and count the rest.
    pub fn build(revisions: Vec<Revision>, options: &GraphOptions) -> Result<Graph, Diagnostics> {
        let mut diagnostics = Diagnostics::default();

        // Ids, first come first served; a later duplicate is reported and left out.
        let mut index: HashMap<String, u32> = HashMap::with_capacity(revisions.len());
        let mut kept: Vec<Revision> = Vec::with_capacity(revisions.len());
        for revision in revisions {
            if let Some(&first) = index.get(&revision.id) {
                let first = &kept[first as usize];
                diagnostics.push(
                    Diagnostic::at(
                        revision.source.at(revision.source.revision_line),
                        format!(
                            "duplicate revision id `{}`: {} declares it too",
                            revision.id, first.source.path
                        ),
                    )
                    .with_related(first.source.at(first.source.revision_line), "first declared here")
                    .with_help("give one of the two revisions a new id (the file name does not matter; the id comes from the `-- revision:` line) and update the down_revision of its children"),
                );
                continue;
            }
            index.insert(revision.id.clone(), to_u32(kept.len()));
            kept.push(revision);
        }
        let revisions = kept;
        let n = revisions.len();

        // Branch labels.
        let mut labels: HashMap<String, u32> = HashMap::new();
        for (i, revision) in revisions.iter().enumerate() {
            let location = revision.source.at(revision.source.branch_labels_line);
            for label in &revision.branch_labels {
                if let Some(&owner) = labels.get(label) {
                    let owner = &revisions[owner as usize];
                    diagnostics.push(
                        Diagnostic::at(
                            location.clone(),
                            format!(
                                "Branch name '{label}' in revision {} already used by revision {}",
                                revision.id, owner.id
                            ),
                        )
                        .with_related(
                            owner.source.at(owner.source.branch_labels_line),
                            "first used here",
                        )
                        .with_help(
                            "branch labels are unique across the history; choose another name",
                        ),
                    );
                } else if let Some(&same) = index.get(label) {
                    let other = &revisions[same as usize];
                    diagnostics.push(
                        Diagnostic::at(
                            location.clone(),
                            format!(
                                "Branch name '{label}' in revision {} is also the id of revision {}",
                                revision.id, other.id
                            ),
                        )
                        .with_related(other.source.at(other.source.revision_line), "revision declared here")
                        .with_help("a branch label cannot be a revision id; choose another name"),
                    );
                } else {
                    labels.insert(label.clone(), to_u32(i));
                }
            }
        }

        // Parents and dependencies. Finding the nearest id for an unknown reference is a pass
        // over every id and label; the passes share a budget, so that a history whose older half
        // is missing (an error in every file) still validates in linear time. The references
        // found first get suggestions; the rest get the plain help.
        let budget = std::cell::Cell::new(SUGGESTION_BUDGET);
        let suggest = |missing: &str| -> Option<String> {
            let cost = index.len() + labels.len();
            if budget.get() < cost {
                return None;
            }
            budget.set(budget.get() - cost);
            let mut prefixed: Vec<&str> = index
                .keys()
                .filter(|id| id.starts_with(missing))
                .map(String::as_str)
                .collect();
            prefixed.sort_unstable();
            if prefixed.len() == 1 {
                return Some(prefixed[0].to_string());
            }
            nearest(
                missing,
                index
                    .keys()
                    .map(String::as_str)
                    .chain(labels.keys().map(String::as_str)),
            )
            .map(str::to_string)
        };
        let mut parents: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut deps: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut self_loop = vec![false; n];
        for (i, revision) in revisions.iter().enumerate() {
            for down in &revision.down_revisions {
                if down == &revision.id {
                    self_loop[i] = true;
                    diagnostics.push(
                        Diagnostic::at(
                            revision.source.at(revision.source.down_revision_line),
                            format!("Self-loop is detected in revisions ({})", revision.id),
                        )
                        .with_help("a revision cannot be its own down_revision; name its parent"),
                    );
                    continue;
                }
                match index.get(down) {
                    Some(&p) => parents[i].push(p),
                    None => {
                        let mut d = Diagnostic::at(
                            revision.source.at(revision.source.down_revision_line),
                            format!(
                                "down_revision `{down}` of revision `{}` does not exist",
                                revision.id
                            ),
                        );
                        d = match suggest(down) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help("name an existing revision, or leave down_revision empty for a base revision"),
                        };
                        diagnostics.push(d);
                    }
                }
            }
            for dep in &revision.depends_on {
                let target = index.get(dep).or_else(|| labels.get(dep)).copied();
                match target {
                    Some(t) if t as usize == i => {
                        self_loop[i] = true;
                        diagnostics.push(
                            Diagnostic::at(
                                revision.source.at(revision.source.depends_on_line),
                                format!(
                                    "Dependency self-loop is detected in revisions ({})",
                                    revision.id
                                ),
                            )
                            .with_help(
                                "a revision cannot depend on itself; remove it from depends_on",
                            ),
                        );
                    }
                    Some(t) => {
                        if !deps[i].contains(&t) {
                            deps[i].push(t);
                        }
                    }
                    None => {
                        let mut d = Diagnostic::at(
                            revision.source.at(revision.source.depends_on_line),
                            format!(
                                "depends_on `{dep}` of revision `{}` is neither a revision nor a branch label",
                                revision.id
                            ),
                        );
                        d = match suggest(dep) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help("name an existing revision or branch label"),
                        };
                        diagnostics.push(d);
                    }
                }
            }
        }

        let mut graph = Graph {
            revisions,
            index,
            labels,
            norm: Vec::new(),
            children: vec![Vec::new(); n],
            all_children: vec![Vec::new(); n],
            parents,
            deps,
            heads: Vec::new(),
            real_heads: Vec::new(),
            bases: Vec::new(),
            topo_pos: Vec::new(),
            membership: std::sync::OnceLock::new(),
        };
        for i in 0..n {
            for &p in &graph.parents[i] {
                graph.children[p as usize].push(to_u32(i));
                graph.all_children[p as usize].push(to_u32(i));
            }
            for &d in &graph.deps[i] {
                if !graph.all_children[d as usize].contains(&to_u32(i)) {
                    graph.all_children[d as usize].push(to_u32(i));
                }
            }
        }

        // Cycles: through down_revision first (Alembic's "Cycle"), then through dependencies.
        let cyclic = graph.report_cycles(Edges::Versioned, &mut diagnostics)
            || graph.report_cycles(Edges::WithDependencies, &mut diagnostics);

        let mut is_parent = vec![false; n];
        let mut is_dependency = vec![false; n];
        for i in 0..n {
            for &p in &graph.parents[i] {
                is_parent[p as usize] = true;
            }
            for &d in &graph.deps[i] {
                is_dependency[d as usize] = true;
            }
        }
        for i in 0..n {
            let i32_ = to_u32(i);
            if !is_parent[i] && !self_loop[i] {
                graph.heads.push(i32_);
                if !is_dependency[i] {
                    graph.real_heads.push(i32_);
                }
            }
            if graph.revisions[i].down_revisions.is_empty() {
                graph.bases.push(i32_);
            }
        }

        if !cyclic {
            graph.normalize_dependencies();
            let order = graph.topological_upward();
            graph.topo_pos = vec![0; n];
            for (position, &i) in order.iter().enumerate() {
                graph.topo_pos[i as usize] = to_u32(position);
            }
            // A dangling or duplicate reference makes revisions look like extra heads or
            // bases: check those only on an otherwise sound graph.
            if !options.allow_multiple_heads && diagnostics.is_empty() {
                graph.check_declared_heads(&order, &mut diagnostics);
            }
        } else {
            graph.norm = graph.parents.clone();
        }

        if diagnostics.is_empty() {
            Ok(graph)
        } else {
            diagnostics.sort();
            Err(diagnostics)
        }
    }

    fn edges(&self, i: u32, edges: Edges) -> impl Iterator<Item = u32> + '_ {
        let deps: &[u32] = match edges {
            Edges::Versioned => &[],
            Edges::WithDependencies => &self.deps[i as usize],
        };
        self.parents[i as usize].iter().chain(deps).copied()
    }

    /// Finds cycles with Kahn's algorithm and reports each one found with its path.
    fn report_cycles(&self, edges: Edges, diagnostics: &mut Diagnostics) -> bool {
        let n = self.revisions.len();
        let lists: Vec<Vec<u32>> = (0..n)
            .map(|i| self.edges(to_u32(i), edges).collect())
            .collect();
        let mut done = vec![false; n];
        for i in kahn(&lists) {
            done[i as usize] = true;
        }
        if done.iter().all(|&d| d) {
            return false;
        }
        // Walk parents among the unfinished revisions until one repeats.
        let mut state = vec![0u8; n]; // 0 new, 1 on path, 2 explored
        let mut found = false;
        for start in 0..n {
            if done[start] || state[start] != 0 {
                continue;
            }
            let mut path: Vec<u32> = Vec::new();
            let mut node = to_u32(start);
            loop {
                match state[node as usize] {
                    1 => {
                        let from = path.iter().position(|&p| p == node).unwrap_or(0);
                        let mut cycle: Vec<u32> = path[from..].to_vec();
                        // Start the cycle at its revision that comes first in load order.
                        let min = cycle
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, &r)| r)
                            .map_or(0, |(k, _)| k);
                        cycle.rotate_left(min);
                        if cycle.len() > 1 || edges == Edges::WithDependencies {
                            self.push_cycle(&cycle, edges, diagnostics);
                            found = true;
                        }
                        break;
                    }
                    2 => break,
                    _ => {}
                }
                state[node as usize] = 1;
                path.push(node);
                match self.edges(node, edges).find(|&p| !done[p as usize]) {
                    Some(next) => node = next,
                    None => break,
                }
            }
            for p in path {
                state[p as usize] = 2;
            }
        }
        found
    }

    fn push_cycle(&self, cycle: &[u32], edges: Edges, diagnostics: &mut Diagnostics) {
        let ids: Vec<&str> = cycle
            .iter()
            .map(|&i| self.revisions[i as usize].id.as_str())
            .collect();
        let mut sorted = cycle.to_vec();
        sorted.sort_unstable();
        let listed: Vec<&str> = sorted
            .iter()
            .map(|&i| self.revisions[i as usize].id.as_str())
            .collect();
        let kind = match edges {
            Edges::Versioned => "Cycle",
            Edges::WithDependencies => "Dependency cycle",
        };
        let first = &self.revisions[cycle[0] as usize];
        let line = match edges {
            Edges::Versioned => first.source.down_revision_line,
            Edges::WithDependencies => first
                .source
                .depends_on_line
                .max(first.source.down_revision_line),
        };
        let path = if ids.len() <= LISTED {
            let mut path: Vec<&str> = ids.clone();
            path.push(ids[0]);
            path.join(" -> ")
        } else {
            format!(
                "{} -> ... ({} more) -> {}",
                ids[..LISTED].join(" -> "),
                crate::diagnostic::thousands(ids.len() - LISTED),
                ids[0]
            )
        };
        let mut d = Diagnostic::at(
            first.source.at(line),
            format!("{kind} is detected in revisions ({})", list_some(&listed, ", ")),
        )
        .with_help(format!(
            "each revision names the next as its parent: {path}; break the cycle by fixing one down_revision{}",
            if edges == Edges::WithDependencies { " or depends_on" } else { "" }
        ));
        for &i in cycle[1..].iter().take(LISTED - 1) {
            let r = &self.revisions[i as usize];
            d = d.with_related(
                r.source.at(r.source.down_revision_line),
                format!("{} is part of the cycle", r.id),
            );
        }
        diagnostics.push(d);
    }

    /// Drops dependencies that are already ancestors through the revision's other parents or
    /// dependencies.
    fn normalize_dependencies(&mut self) {
        let n = self.revisions.len();
        let mut norm = self.parents.clone();
        for (i, row) in norm.iter_mut().enumerate() {
            if self.deps[i].is_empty() {
                continue;
            }
            for (k, &d) in self.deps[i].iter().enumerate() {
                let others: Vec<u32> = self.parents[i]
                    .iter()
                    .chain(
                        self.deps[i]
                            .iter()
                            .enumerate()
                            .filter(|&(j, _)| j != k)
                            .map(|(_, d)| d),
                    )
                    .copied()
                    .collect();
                let implied = others.contains(&d) || {
                    let mut stack = others;
                    let mut seen = Set::new(n);
                    let mut hit = false;
                    while let Some(x) = stack.pop() {
                        if !seen.insert(x) {
                            continue;
                        }
                        if x == d {
                            hit = true;
                            break;
                        }
                        stack.extend(self.edges(x, Edges::WithDependencies));
                    }
                    hit
                };
                if !implied {
                    row.push(d);
                }
            }
        }
        self.norm = norm;
    }

    /// Several heads or bases are fine when each one but one is declared with a branch label.
    fn check_declared_heads(&self, order: &[u32], diagnostics: &mut Diagnostics) {
        let n = self.revisions.len();
        // Bases: at most one without a branch label.
        let unlabelled: Vec<u32> = self
            .bases
            .iter()
            .copied()
            .filter(|&b| self.revisions[b as usize].branch_labels.is_empty())
            .collect();
        if unlabelled.len() > 1 {
            let last = &self.revisions[unlabelled[unlabelled.len() - 1] as usize];
            let mut d = Diagnostic::at(
                last.source.at(last.source.down_revision_line),
                format!(
                    "multiple bases without a branch label: {}",
                    list_some(&self.ids(&unlabelled), ", ")
                ),
            )
            .with_help("a history has one unlabelled base; give each further base a branch label (`-- branch_labels: name`), set its down_revision, or set `allow_multiple_heads`");
            for &b in unlabelled[..unlabelled.len() - 1].iter().take(LISTED - 1) {
                let r = &self.revisions[b as usize];
                d = d.with_related(
                    r.source.at(r.source.down_revision_line),
                    format!("{} is a base", r.id),
                );
            }
            diagnostics.push(d);
        }
        if self.heads.len() < 2 {
            return;
        }
        // Which single head each revision leads to (None: none, Some(Ok(h)): only h, Err: several).
        let mut reach: Vec<Option<Result<u32, ()>>> = vec![None; n];
        for &i in order.iter().rev() {
            let value = if self.children[i as usize].is_empty() {
                Some(Ok(i))
            } else {
                let mut acc: Option<Result<u32, ()>> = None;
                for &c in &self.children[i as usize] {
                    acc = match (acc, reach[c as usize]) {
                        (None, x) | (x, None) => x,
                        (Some(Ok(a)), Some(Ok(b))) if a == b => Some(Ok(a)),
                        _ => Some(Err(())),
                    };
                }
                acc
            };
            reach[i as usize] = value;
        }
        let mut declared = vec![false; n];
        for (i, revision) in self.revisions.iter().enumerate() {
            if !revision.branch_labels.is_empty() {
                if let Some(Ok(h)) = reach[i] {
                    declared[h as usize] = true;
                }
            }
        }
        let undeclared: Vec<u32> = self
            .heads
            .iter()
            .copied()
            .filter(|&h| !declared[h as usize])
            .collect();
        if undeclared.len() > 1 {
            let last = &self.revisions[undeclared[undeclared.len() - 1] as usize];
            let mut d = Diagnostic::at(
                last.source.at(last.source.revision_line),
                format!(
                    "multiple heads are present: {}",
                    list_some(&self.ids(&undeclared), ", ")
                ),
            )
            .with_help("join them with `aludel merge heads -m \"merge\"`, or declare the branch on purpose with a branch label (`-- branch_labels: name`) on its first revision");
            for &h in undeclared[..undeclared.len() - 1].iter().take(LISTED - 1) {
                let r = &self.revisions[h as usize];
                d = d.with_related(
                    r.source.at(r.source.revision_line),
                    format!("{} is a head", r.id),
                );
            }
            diagnostics.push(d);
        }
    }

    /// Every revision, parents before children (following parents and dependencies), ties
    /// broken by load order.
    pub(crate) fn topological_upward(&self) -> Vec<u32> {
        kahn(&self.norm)
    }

    /// The ids of `indices`.
    pub(crate) fn ids(&self, indices: &[u32]) -> Vec<String> {
        indices
            .iter()
            .map(|&i| self.revisions[i as usize].id.clone())
            .collect()
    }

    /// `targets` and everything below them.
    pub(crate) fn ancestors(&self, targets: &[u32], edges: Edges) -> Set {
        let mut set = Set::new(self.revisions.len());
        let mut stack: Vec<u32> = targets.to_vec();
        while let Some(i) = stack.pop() {
            if set.insert(i) {
                match edges {
                    Edges::Versioned => stack.extend(&self.parents[i as usize]),
                    Edges::WithDependencies => stack.extend(&self.norm[i as usize]),
                }
            }
        }
        set
    }

    /// `targets` and everything above them.
    pub(crate) fn descendants(&self, targets: &[u32], edges: Edges) -> Set {
        let mut set = Set::new(self.revisions.len());
        let mut stack: Vec<u32> = targets.to_vec();
        while let Some(i) = stack.pop() {
            if set.insert(i) {
                match edges {
                    Edges::Versioned => stack.extend(&self.children[i as usize]),
                    Edges::WithDependencies => stack.extend(&self.all_children[i as usize]),
                }
            }
        }
        set
    }

    /// Orders `set` from the top down, starting from `heads` (see the module docs for the
    /// sibling order). This is Alembic's walk, made near-linear: a lane follows first parents;
    /// a revision that another lane still has above it hands over to that lane (the first one
    /// in lane order); other parents open new lanes at the end; a finished lane hands back to
    /// the lane before it.
    pub(crate) fn order_downward(&self, set: &Set, heads: &[u32]) -> Vec<u32> {
        let n = self.revisions.len();
        let mut above = vec![0u32; n];
        for i in set.iter() {
            for &p in &self.norm[i as usize] {
                if set.contains(p) {
                    above[p as usize] += 1;
                }
            }
        }
        let mut todo = set.clone();
        let mut lanes: Vec<u32> = heads
            .iter()
            .copied()
            .filter(|&h| todo.contains(h))
            .collect();
        lanes.sort_unstable();
        lanes.dedup();
        let mut in_lanes = Set::new(n);
        for &l in &lanes {
            in_lanes.insert(l);
        }
        let mut out = Vec::with_capacity(set.len());
        let mut seen = Set::new(n);
        let mut stack: Vec<u32> = Vec::new();
        let mut visited: Vec<u32> = Vec::new();
        let mut lane = 0usize;
        loop {
            if lanes.is_empty() {
                // Everything reachable from the heads is done; anything left starts new lanes.
                lanes = todo.iter().filter(|&i| above[i as usize] == 0).collect();
                if lanes.is_empty() {
                    break;
                }
                for &l in &lanes {
                    in_lanes.insert(l);
                }
                lane = 0;
            }
            let candidate = lanes[lane];
            if above[candidate as usize] > 0 {
                // Hand over to the first lane (in lane order) that still has the candidate
                // below it. Each lane is searched downwards, only through unlisted revisions
                // that lie above the candidate in topological order; what one lane's search
                // explored is not explored again for the next lane.
                let floor = self.topo_pos[candidate as usize];
                let mut next = None;
                for (j, &start) in lanes.iter().enumerate() {
                    if j == lane || !seen.insert(start) {
                        continue;
                    }
                    visited.push(start);
                    stack.push(start);
                    while let Some(x) = stack.pop() {
                        if x == candidate {
                            next = Some(j);
                            break;
                        }
                        for &p in &self.norm[x as usize] {
                            if todo.contains(p)
                                && self.topo_pos[p as usize] >= floor
                                && seen.insert(p)
                            {
                                visited.push(p);
                                stack.push(p);
                            }
                        }
                    }
                    stack.clear();
                    if next.is_some() {
                        break;
                    }
                }
                for v in visited.drain(..) {
                    seen.remove(v);
                }
                match next {
                    Some(j) => {
                        lane = j;
                        continue;
                    }
                    None => {
                        // Not below any lane (cannot happen for the sets planning builds):
                        // restart the lanes from what is ready, to make progress.
                        for &l in &lanes {
                            in_lanes.remove(l);
                        }
                        lanes = todo.iter().filter(|&i| above[i as usize] == 0).collect();
                        for &l in &lanes {
                            in_lanes.insert(l);
                        }
                        lane = 0;
                        continue;
                    }
                }
            }
            out.push(candidate);
            todo.remove(candidate);
            in_lanes.remove(candidate);
            for &p in &self.norm[candidate as usize] {
                if set.contains(p) {
                    above[p as usize] -= 1;
                }
            }
            let added: Vec<u32> = self.norm[candidate as usize]
                .iter()
                .copied()
                .filter(|&p| todo.contains(p) && !in_lanes.contains(p))
                .collect();
            let mut added = added.into_iter();
            match added.next() {
                None => {
                    lanes.remove(lane);
                    lane = lane.saturating_sub(1);
                }
                Some(first) => {
                    lanes[lane] = first;
                    in_lanes.insert(first);
                    for p in added {
                        lanes.push(p);
                        in_lanes.insert(p);
                    }
                }
            }
        }
        out
    }

    /// Index of a revision id.
    pub(crate) fn idx(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    pub(crate) fn rev(&self, i: u32) -> &Revision {
        &self.revisions[i as usize]
    }

    // ----- public queries -----

    /// The graph of an empty history.
    pub fn empty() -> Graph {
        Graph {
            revisions: Vec::new(),
            index: HashMap::new(),
            labels: HashMap::new(),
            parents: Vec::new(),
            deps: Vec::new(),
            norm: Vec::new(),
            children: Vec::new(),
            all_children: Vec::new(),
            heads: Vec::new(),
            real_heads: Vec::new(),
            bases: Vec::new(),
            topo_pos: Vec::new(),
            membership: std::sync::OnceLock::new(),
        }
    }

    /// The revisions in load order.
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    /// The number of revisions.
    pub fn len(&self) -> usize {
        self.revisions.len()
    }

    /// True for a history without revisions.
    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }

    /// The position of a revision in load order (the index into [`Graph::revisions`] and
    /// [`Graph::lineage_digests`]).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.idx(id).map(|i| i as usize)
    }

    /// The position of the revision at `index` (load order) in a topological order of the
    /// history: parents and dependencies come before what builds on them.
    pub fn topological_position(&self, index: usize) -> u32 {
        self.topo_pos.get(index).copied().unwrap_or(u32::MAX)
    }

    /// The revision with this exact id.
    pub fn get(&self, id: &str) -> Option<&Revision> {
        self.idx(id).map(|i| self.rev(i))
    }

    /// The revision carrying this branch label.
    pub fn by_label(&self, label: &str) -> Option<&Revision> {
        self.labels.get(label).map(|&i| self.rev(i))
    }

    /// The heads (revisions that are no revision's `down_revision`), in load order.
    pub fn heads(&self) -> Vec<&str> {
        self.heads
            .iter()
            .map(|&i| self.rev(i).id.as_str())
            .collect()
    }

    /// The bases (revisions without `down_revision`), in load order.
    pub fn bases(&self) -> Vec<&str> {
        self.bases
            .iter()
            .map(|&i| self.rev(i).id.as_str())
            .collect()
    }

    /// Whether `id` is a head.
    pub fn is_head(&self, id: &str) -> bool {
        self.idx(id)
            .is_some_and(|i| self.children[i as usize].is_empty())
    }

    /// Whether `id` is a base.
    pub fn is_base(&self, id: &str) -> bool {
        self.idx(id)
            .is_some_and(|i| self.parents[i as usize].is_empty())
    }

    /// Whether `id` is a merge (two or more parents).
    pub fn is_merge(&self, id: &str) -> bool {
        self.idx(id)
            .is_some_and(|i| self.parents[i as usize].len() > 1)
    }

    /// Whether `id` is a branch point (two or more children).
    pub fn is_branch_point(&self, id: &str) -> bool {
        self.idx(id)
            .is_some_and(|i| self.children[i as usize].len() > 1)
    }

    /// The revisions whose `down_revision` names `id`, in load order.
    pub fn children_of(&self, id: &str) -> Vec<&str> {
        self.idx(id)
            .map(|i| {
                self.children[i as usize]
                    .iter()
                    .map(|&c| self.rev(c).id.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The revisions that depend on `id` (through `depends_on`), in load order.
    pub fn dependents_of(&self, id: &str) -> Vec<&str> {
        self.idx(id)
            .map(|i| {
                self.all_children[i as usize]
                    .iter()
                    .filter(|c| !self.children[i as usize].contains(c))
                    .map(|&c| self.rev(c).id.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The branch points, in load order.
    pub fn branch_points(&self) -> Vec<&str> {
        (0..self.revisions.len())
            .filter(|&i| self.children[i].len() > 1)
            .map(|i| self.revisions[i].id.as_str())
            .collect()
    }

    /// Every revision from the heads down to the bases, newest first (as `alembic history`).
    pub fn walk(&self) -> Vec<&Revision> {
        let mut all = Set::new(self.revisions.len());
        for i in 0..self.revisions.len() {
            all.insert(to_u32(i));
        }
        self.order_downward(&all, &self.real_heads)
            .into_iter()
            .map(|i| self.rev(i))
            .collect()
    }

    /// Revision `id` and everything below it (its parents and dependencies, transitively),
    /// newest first: exactly what [`Graph::history`] lists for `base:<id>`, in the same order,
    /// without writing or parsing a target. `None` when no revision has this exact id (no
    /// prefix, label or symbol is looked up; a revision whose id is `head`, `heads` or `base`
    /// is that revision here).
    ///
    /// ```
    /// use aludel_graph::{Graph, GraphOptions, Revision};
    ///
    /// let graph = Graph::build(
    ///     vec![Revision::new("a", &[]), Revision::new("b", &["a"]), Revision::new("c", &["b"])],
    ///     &GraphOptions::default(),
    /// )
    /// .unwrap();
    /// let below: Vec<&str> = graph.below("b").unwrap().iter().map(|r| r.id.as_str()).collect();
    /// assert_eq!(below, ["b", "a"]);
    /// assert!(graph.below("zz").is_none());
    /// ```
    pub fn below(&self, id: &str) -> Option<Vec<&Revision>> {
        self.idx(id).map(|i| self.below_index(i))
    }

    /// [`Graph::below`] by position in load order (the index into [`Graph::revisions`]);
    /// `None` past the end.
    pub fn below_at(&self, index: usize) -> Option<Vec<&Revision>> {
        u32::try_from(index)
            .ok()
            .filter(|&i| (i as usize) < self.revisions.len())
            .map(|i| self.below_index(i))
    }

    fn below_index(&self, i: u32) -> Vec<&Revision> {
        let set = self.ancestors(&[i], Edges::WithDependencies);
        self.order_downward(&set, &[i])
            .into_iter()
            .map(|i| self.rev(i))
            .collect()
    }

    /// The lineage digest of every revision, in load order: `v1:sha256:` over
    /// `aludel-lineage-v1`, the revision's id and checksum, then the digests of its parents
    /// (in `down_revision` order) and of its dependencies (in `depends_on` order), each part
    /// followed by a NUL byte. Equal head digests mean equal files all the way down.
    pub fn lineage_digests(&self) -> Vec<String> {
        let n = self.revisions.len();
        let mut digests: Vec<String> = vec![String::new(); n];
        for i in kahn(&self.norm) {
            let i = i as usize;
            let revision = &self.revisions[i];
            let mut parts: Vec<&str> = vec!["aludel-lineage-v1", &revision.id, &revision.checksum];
            for &p in self.parents[i].iter().chain(&self.deps[i]) {
                parts.push(&digests[p as usize]);
            }
            digests[i] = crate::checksum::digest_parts(parts);
        }
        digests
    }

    /// A location of a revision's header line, for diagnostics.
    pub fn location(&self, id: &str) -> Option<Location> {
        self.get(id).map(|r| r.source.at(r.source.revision_line))
    }
}
