//! Finding the project, loading its history, and the facts about each revision that the
//! commands print.

use std::path::{Component, Path, PathBuf};

use aludel_graph::config::CONFIG_FILE;
use aludel_graph::{
    find_project_root, load_dir, Config, Diagnostic, Graph, History, Location, Revision, Sections,
};

use crate::cli::ProjectArgs;
use crate::error::CliError;

/// A loaded, valid history and what the commands need to know about it.
#[derive(Debug)]
pub struct Project {
    history: History,
    /// The configuration (defaults when there is no aludel.toml).
    config: Config,
    /// The aludel.toml that was read, relative to the current directory where possible.
    config_file: Option<PathBuf>,
    /// Where the revisions come from.
    origin: Origin,
}

/// Where a project's revisions come from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// Revision files in a versions directory (the `aludel` binary).
    Files {
        /// The versions directory, relative to the current directory where possible.
        versions: PathBuf,
    },
    /// Revisions embedded in the binary that runs the command line (see
    /// [`crate::run_embedded`]); there are no files to read or write.
    Embedded(&'static aludel::Migrations),
}

impl ProjectArgs {
    /// Fails with a clear message when the revisions are embedded in the binary, for commands
    /// that read or write revision files before (or without) loading a [`Project`], e.g.
    /// `init`.
    pub fn require_files(&self, command: &str) -> Result<(), CliError> {
        match self.embedded {
            Some(_) => Err(CliError::Embedded {
                what: command.to_string(),
            }),
            None => Ok(()),
        }
    }
}

impl Project {
    /// Finds the project from `cwd` (or from `--config` / `--versions`) and loads its history.
    ///
    /// - `--config FILE`: the configuration file; its directory is the project root.
    /// - otherwise the nearest directory from `cwd` upwards that holds `aludel.toml` (or,
    ///   failing that, `migrations/versions`), configured by its `aludel.toml` if any.
    /// - `--versions DIR` names the versions directory, overriding the configuration's; the
    ///   configuration (for `allow_multiple_heads`) is still read when there is one.
    ///
    /// Paths are kept relative to `cwd` wherever possible, so diagnostics and output show
    /// `migrations/versions/...` or `../migrations/versions/...`, not machine paths.
    pub fn locate(args: &ProjectArgs, cwd: &Path) -> Result<Project, CliError> {
        if let Some(migrations) = args.embedded {
            return Project::embedded(migrations, args, cwd);
        }
        let layout = Layout::locate(args, cwd)?;
        let options = layout.config.graph_options();
        let mut project = Project::new(load_dir(&resolve(&layout.versions, cwd), cwd, &options)?);
        project.config = layout.config;
        project.config_file = layout.config_file.map(PathBuf::from);
        project.origin = Origin::Files {
            versions: layout.versions,
        };
        Ok(project)
    }

    /// [`Project::locate`] for writing a new revision: a project whose versions directory is
    /// empty or missing has an empty history (its first revision is being written).
    pub fn locate_for_authoring(args: &ProjectArgs, cwd: &Path) -> Result<Project, CliError> {
        if args.embedded.is_none() {
            let layout = Layout::locate(args, cwd)?;
            if !crate::commands::revision::has_revisions(&resolve(&layout.versions, cwd)) {
                let mut project = Project::new(History {
                    graph: aludel_graph::Graph::empty(),
                    files: Vec::new(),
                    sections: Vec::new(),
                });
                project.config = layout.config;
                project.config_file = layout.config_file.map(PathBuf::from);
                project.origin = Origin::Files {
                    versions: layout.versions,
                };
                return Ok(project);
            }
        }
        Project::locate(args, cwd)
    }

    /// The project of a binary that embeds its revisions: the history compiled into it, and
    /// the configuration of `--config FILE` or of an aludel.toml in `cwd` (for `database_url`
    /// and the version table), if there is one. `--versions` is an error.
    fn embedded(
        migrations: &'static aludel::Migrations,
        args: &ProjectArgs,
        cwd: &Path,
    ) -> Result<Project, CliError> {
        if args.versions.is_some() {
            return Err(CliError::Embedded {
                what: "--versions".to_string(),
            });
        }
        let config_file = match &args.config {
            Some(file) => Some(shorten(file, cwd)),
            None => Some(PathBuf::from(CONFIG_FILE)).filter(|f| resolve(f, cwd).is_file()),
        };
        let config = match &config_file {
            Some(file) => read_config(file, cwd)?,
            None => Config::default(),
        };
        let sections = migrations
            .revisions()
            .iter()
            .map(|r| r.sections())
            .collect();
        let mut project = Project::new(History {
            graph: migrations.graph().clone(),
            files: Vec::new(),
            sections,
        });
        project.config = config;
        project.config_file = config_file;
        project.origin = Origin::Embedded(migrations);
        Ok(project)
    }

    /// Wraps a loaded history (with the default configuration).
    pub fn new(history: History) -> Project {
        Project {
            history,
            config: Config::default(),
            config_file: None,
            origin: Origin::Files {
                versions: PathBuf::new(),
            },
        }
    }

    /// The configuration: the project's aludel.toml, or the defaults.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The aludel.toml that was read, relative to the current directory where possible.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// Where the revisions come from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The versions directory, for commands that read or write revision files; a clear error
    /// naming `command` when the revisions are embedded in the binary instead.
    pub fn require_files(&self, command: &str) -> Result<&Path, CliError> {
        match &self.origin {
            Origin::Files { versions } => Ok(versions),
            Origin::Embedded(_) => Err(CliError::Embedded {
                what: command.to_string(),
            }),
        }
    }

    /// The graph.
    pub fn graph(&self) -> &Graph {
        &self.history.graph
    }

    /// The SQL sections of each revision, aligned with the graph's revisions.
    pub fn sections(&self) -> &[Sections] {
        &self.history.sections
    }

    /// The SQL sections of a revision of the graph.
    pub fn sections_of(&self, id: &str) -> Option<&Sections> {
        self.graph()
            .index_of(id)
            .and_then(|i| self.history.sections.get(i))
    }

    /// Every branch label that covers revision `id`, as Alembic shows them: the graph's
    /// definition, [`Graph::branches_of`].
    pub fn branches_of(&self, id: &str) -> Vec<&str> {
        self.graph().branches_of(id)
    }

    /// A head that no revision depends on (Alembic's `(head)`; a head that another revision
    /// depends on is an `(effective head)`).
    pub fn is_real_head(&self, id: &str) -> bool {
        self.graph().is_head(id) && self.graph().dependents_of(id).is_empty()
    }

    /// The one revision `target` names (an id, a unique prefix, a label, `head`, `<rev>-1`, ...).
    pub fn resolve_one(&self, target: &str, command: &'static str) -> Result<&Revision, CliError> {
        self.check_absolute(target)?;
        let ids = self.graph().resolve(target)?;
        match ids.as_slice() {
            [id] => self
                .graph()
                .get(id)
                .ok_or_else(|| CliError::NotOneRevision {
                    target: target.to_string(),
                    revisions: Vec::new(),
                    command,
                }),
            _ => Err(CliError::NotOneRevision {
                target: target.to_string(),
                revisions: ids.iter().map(|id| (*id).to_string()).collect(),
                command,
            }),
        }
    }

    /// The revisions of a `history -r` range, newest first.
    pub fn history(&self, range: Option<&str>) -> Result<Vec<&Revision>, CliError> {
        if let Some(range) = range {
            let Some((lower, upper)) = range.split_once(':') else {
                return Err(CliError::RangeSyntax {
                    range: range.to_string(),
                });
            };
            for side in [lower, upper] {
                if !side.is_empty() {
                    self.check_absolute(side)?;
                }
            }
        }
        Ok(self.graph().history(range)?)
    }

    /// Rejects targets that count from the database's current revision: `current`, `+N`,
    /// `-N`, `<label>@+N`, `<label>@-N` (unless a revision or label has that very name).
    fn check_absolute(&self, target: &str) -> Result<(), CliError> {
        let graph = self.graph();
        let names = |s: &str| graph.get(s).is_some() || graph.by_label(s).is_some();
        if names(target) {
            return Ok(());
        }
        let (branch, rest) = match target.split_once('@') {
            Some((branch, rest)) => (Some(branch), rest),
            None => (None, target),
        };
        if names(rest) {
            return Ok(());
        }
        let prefix = branch.map(|b| format!("{b}@")).unwrap_or_default();
        let example = if rest == "current" {
            format!("'{prefix}heads'")
        } else {
            let digits = rest.get(1..).unwrap_or("");
            let relative = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            match rest.as_bytes().first() {
                Some(b'-') if relative => format!("'{prefix}head{rest}' or '<revision>{rest}'"),
                Some(b'+') if relative => format!("'{prefix}base{rest}' or '<revision>{rest}'"),
                _ => return Ok(()),
            }
        };
        Err(CliError::NeedsDatabase {
            target: target.to_string(),
            example,
        })
    }
}

/// Where a project's files are, for the commands that write revisions (`revision`, `merge`,
/// `edit`): found as [`Project::locate`] finds a project, without loading the history, which
/// may not exist yet.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The project root, relative to the current directory where possible (empty for it, and
    /// when only `--versions` names the directory).
    pub root: PathBuf,
    /// The configuration: the project's aludel.toml, or the defaults.
    pub config: Config,
    /// The aludel.toml that was read, as shown to people.
    pub config_file: Option<String>,
    /// The versions directory, relative to the current directory where possible.
    pub versions: PathBuf,
}

impl Layout {
    /// Finds the project from `cwd`, or from `--config` / `--versions`, like
    /// [`Project::locate`].
    pub fn locate(args: &ProjectArgs, cwd: &Path) -> Result<Layout, CliError> {
        let (root, file) = match &args.config {
            Some(file) => {
                let root = file.parent().map(|p| shorten(p, cwd)).unwrap_or_default();
                (Some(root), Some(file.clone()))
            }
            None => {
                let root = find_project_root(cwd).map(|root| shorten(&root, cwd));
                let file = root
                    .as_ref()
                    .map(|root| root.join(CONFIG_FILE))
                    .filter(|file| resolve(file, cwd).is_file());
                (root, file)
            }
        };
        let config = match &file {
            Some(file) => read_config(file, cwd)?,
            None => Config::default(),
        };
        let versions = match (&args.versions, &root) {
            (Some(dir), _) => dir.clone(),
            (None, Some(root)) => {
                check_script_location(&config, file.as_deref(), cwd)?;
                config.versions_dir(root)
            }
            (None, None) => return Err(CliError::NoProject),
        };
        Ok(Layout {
            root: root.unwrap_or_default(),
            config,
            config_file: file.map(|f| show(&shorten(&f, cwd))),
            versions,
        })
    }
}

/// Refuses a `script_location` from the configuration that points outside the project (an
/// absolute path, or `..` above the root): a directory elsewhere is named explicitly, with
/// `--versions`.
pub(crate) fn check_script_location(
    config: &Config,
    file: Option<&Path>,
    cwd: &Path,
) -> Result<(), CliError> {
    let Some(reason) = config.script_location_escapes() else {
        return Ok(());
    };
    let location = show(&config.script_location);
    let file = file.map_or_else(|| CONFIG_FILE.to_string(), |f| show(&shorten(f, cwd)));
    Err(CliError::Config(
        Diagnostic::at(
            Location::new(file, 0, 0),
            format!("script_location `{location}` points outside the project: {reason}"),
        )
        .with_help(format!(
            "keep the migrations inside the project, or name the directory on purpose: `--versions {}`",
            show(&config.versions_dir(Path::new("")))
        )),
    ))
}

/// Reads and parses a configuration file, showing its path relative to `cwd`.
fn read_config(file: &Path, cwd: &Path) -> Result<Config, CliError> {
    let shown = show(&shorten(file, cwd));
    let bytes = std::fs::read(resolve(file, cwd)).map_err(|source| CliError::ReadConfig {
        path: shown.clone(),
        source,
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        CliError::Config(
            Diagnostic::at(
                Location::new(shown.clone(), 0, 0),
                "configuration file is not valid UTF-8",
            )
            .with_help("save the file as UTF-8"),
        )
    })?;
    Config::parse(&shown, text).map_err(CliError::Config)
}

/// `path` as shown to people, with `/` separators.
pub fn show(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// `path` (relative to `cwd`, or absolute) as an absolute path. [`load_dir`] shows paths
/// relative to `cwd` again by stripping that prefix component-wise, so `cwd/../../m` is shown
/// as `../../m`.
fn resolve(path: &Path, cwd: &Path) -> PathBuf {
    cwd.join(path)
}

/// `path` relative to `cwd` when that is simple and safe: an absolute path below `cwd` loses
/// the `cwd` prefix, an ancestor of `cwd` becomes `..` components (`""` for `cwd` itself).
/// Relative paths, given by the user, stay as written; anything else stays absolute.
fn shorten(path: &Path, cwd: &Path) -> PathBuf {
    if path.is_relative() {
        return path.to_path_buf();
    }
    let plain = |p: &Path| {
        p.components()
            .all(|c| !matches!(c, Component::ParentDir | Component::CurDir))
    };
    if !plain(path) || !plain(cwd) {
        return path.to_path_buf();
    }
    if let Ok(below) = path.strip_prefix(cwd) {
        return below.to_path_buf();
    }
    if let Ok(above) = cwd.strip_prefix(path) {
        return above.components().map(|_| Component::ParentDir).collect();
    }
    path.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_paths_relative() {
        let cwd = Path::new("/p/sub/dir");
        assert_eq!(
            shorten(Path::new("/p/sub/dir/m/v"), cwd),
            PathBuf::from("m/v")
        );
        assert_eq!(shorten(Path::new("/p"), cwd), PathBuf::from("../.."));
        assert_eq!(shorten(Path::new("/p/sub/dir"), cwd), PathBuf::new());
        assert_eq!(shorten(Path::new("/q/v"), cwd), PathBuf::from("/q/v"));
        assert_eq!(shorten(Path::new("rel/v"), cwd), PathBuf::from("rel/v"));
        assert_eq!(shorten(Path::new("/p/../q"), cwd), PathBuf::from("/p/../q"));
        assert_eq!(
            resolve(Path::new("../m"), cwd),
            PathBuf::from("/p/sub/dir/../m")
        );
        assert_eq!(resolve(Path::new("/q"), cwd), PathBuf::from("/q"));
    }
}
