//! `aludel heads`: the heads of the history (Alembic's `heads`).

use crate::cli::{Format, HeadsArgs};
use crate::error::CliError;
use crate::json::{self, RevisionJson};
use crate::project::Project;
use crate::text::{self, Line};

/// One line per head in load order, e.g. `c2 (head)` and `d1 (feat1) (head)`; a head that
/// another revision depends on shows `(effective head)` and is left out with
/// `--resolve-dependencies`. `--verbose` prints full entries separated by blank lines.
pub fn run(project: &Project, args: &HeadsArgs) -> Result<String, CliError> {
    let graph = project.graph();
    let heads: Vec<_> = graph
        .heads()
        .into_iter()
        .filter(|id| !args.resolve_dependencies || project.is_real_head(id))
        .filter_map(|id| graph.get(id))
        .collect();
    match args.output.format {
        Format::Json => json::render(
            &heads
                .iter()
                .map(|r| RevisionJson::new(project, r))
                .collect::<Vec<_>>(),
        ),
        Format::Text => {
            let mut out = String::new();
            for head in heads {
                if args.verbose {
                    out.push_str(&text::entry(project, head));
                } else {
                    out.push_str(&text::line(
                        project,
                        head,
                        Line {
                            branches: true,
                            ..Line::default()
                        },
                    ));
                }
                out.push('\n');
            }
            Ok(out)
        }
    }
}
