//! `aludel heads`: the heads of the history (Alembic's `heads`).

use crate::cli::HeadsArgs;
use crate::error::CliError;
use crate::project::Project;
use crate::text::Line;

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
    super::list(
        project,
        &heads,
        args.output.format,
        args.verbose,
        Line {
            branches: true,
            ..Line::default()
        },
    )
}
