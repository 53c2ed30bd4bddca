//! `aludel branches`: the branch points and their branches (Alembic's `branches`).

use crate::cli::{BranchesArgs, Format};
use crate::error::CliError;
use crate::json::{self, BranchPointJson, RevisionJson};
use crate::project::Project;
use crate::text::{self, Line};

/// Each branch point, newest first, with its children below it, then a blank line:
///
/// ```text
/// b (branchpoint)
///   -> c2 (head)
///   -> c1 (feat1)
/// ```
///
/// `--verbose` prints the branch point's full entry and the children's messages.
pub fn run(project: &Project, args: &BranchesArgs) -> Result<String, CliError> {
    let graph = project.graph();
    let points: Vec<_> = graph
        .walk()
        .into_iter()
        .filter(|r| graph.is_branch_point(&r.id))
        .collect();
    let children = |id: &str| {
        graph
            .children_of(id)
            .into_iter()
            .filter_map(|c| graph.get(c))
            .collect::<Vec<_>>()
    };
    match args.output.format {
        Format::Json => {
            let points: Vec<_> = points
                .iter()
                .map(|r| BranchPointJson {
                    revision: RevisionJson::new(project, r),
                    children: children(&r.id)
                        .into_iter()
                        .map(|c| RevisionJson::new(project, c))
                        .collect(),
                })
                .collect();
            json::render(&points)
        }
        Format::Text => {
            let mut out = String::new();
            for point in points {
                if args.verbose {
                    out.push_str(&text::entry(project, point));
                } else {
                    out.push_str(&text::line(
                        project,
                        point,
                        Line {
                            branches: true,
                            tree: true,
                            ..Line::default()
                        },
                    ));
                }
                out.push('\n');
                let indent = " ".repeat(point.id.chars().count());
                for child in children(&point.id) {
                    let what = Line {
                        branches: true,
                        doc: args.verbose,
                        tree: true,
                        ..Line::default()
                    };
                    out.push_str(&format!(
                        "{indent} -> {}\n",
                        text::line(project, child, what)
                    ));
                }
                out.push('\n');
            }
            Ok(out)
        }
    }
}
