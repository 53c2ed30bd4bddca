//! `aludel revision`: a new SQL revision file (Alembic's `revision`), and the steps that
//! `revision` and `merge` share: choose the id, name the file, check that the history stays
//! valid, write the file without overwriting anything, run the post-write hook.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use aludel_graph::revision::{is_valid_id, is_valid_label};
use aludel_graph::scan::{display_path, ignore_reason};
use aludel_graph::{load_dir, parse_revision, Diagnostics, Graph, GraphOptions};

use crate::cli::{NewRevisionArgs, ProjectArgs, RevisionArgs};
use crate::error::CliError;
use crate::project::Layout;
use crate::template::{self, NameParts, NewRevision, Timestamp};

/// Writes a new revision on the head (or on `--head`) and returns its path, for stdout;
/// `Generating <path> ...  done` goes to `messages`.
///
/// The first revision of a project (an empty or missing versions directory) is a base. With
/// several heads, `--head` must say which one to build on (Alembic's message); a revision that
/// is not a head needs `--splice`. The new revision must leave a valid history (a second base or
/// head needs a branch label): otherwise nothing is written and the diagnostics say why.
pub fn run(
    project: &ProjectArgs,
    args: &RevisionArgs,
    cwd: &Path,
    messages: &mut dyn Write,
) -> Result<String, CliError> {
    let layout = Layout::locate(project, cwd)?;
    let graph = load_for_authoring(&layout, cwd)?;
    let parents = graph.new_revision_parents(args.head.as_deref(), args.splice)?;
    let depends_on = resolve_depends_on(&graph, &args.depends_on)?;
    let body = if args.autogenerate {
        let project = crate::project::Project::locate_for_authoring(project, cwd)?;
        if matches!(project.origin(), crate::project::Origin::Embedded(_)) {
            same_history(project.graph(), &graph, &layout, cwd)?;
        }
        match crate::commands::schema::autogenerate::generate(&project, args, cwd, messages)? {
            Some(body) => Some(body),
            None => return Ok(String::new()),
        }
    } else {
        None
    };
    let dir = match &args.version_path {
        Some(path) => version_path(&layout, path, cwd)?,
        None => layout.versions.clone(),
    };
    write_revision(
        &layout,
        &graph,
        &args.new,
        Draft {
            parents,
            depends_on,
            dir,
            rust: args.rust,
            body,
        },
        cwd,
        messages,
    )
}

/// Refuses files that are not the history the binary embeds (a revision added, removed or
/// edited since it was built): the revision would be generated from another history.
fn same_history(
    embedded: &Graph,
    files: &Graph,
    layout: &Layout,
    cwd: &Path,
) -> Result<(), CliError> {
    let of = |graph: &Graph| -> Vec<(String, String)> {
        let mut revisions: Vec<(String, String)> = graph
            .revisions()
            .iter()
            .map(|r| (r.id.clone(), r.checksum.clone()))
            .collect();
        revisions.sort();
        revisions
    };
    let (embedded, files) = (of(embedded), of(files));
    if embedded == files {
        return Ok(());
    }
    let differ: Vec<&str> = embedded
        .iter()
        .chain(&files)
        .filter(|r| !embedded.contains(r) || !files.contains(r))
        .map(|(id, _)| id.as_str())
        .collect();
    let mut shown: Vec<&str> = differ.iter().take(10).copied().collect();
    shown.dedup();
    let more = match differ.len().saturating_sub(10) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    Err(CliError::Authoring {
        message: format!(
            "this binary embeds another history than {} holds (revisions {}{more} differ): rebuild it, then generate the revision",
            display_path(&cwd.join(&layout.versions), cwd),
            shown.join(", ")
        ),
    })
}

/// Prints one of Alembic's indented status lines to `messages` (stderr). A closed stderr is
/// not worth failing a command that did its work.
pub(crate) fn say(messages: &mut dyn Write, line: &str) {
    let _ = writeln!(messages, "  {line}");
}

/// The history of a project for writing a new revision: empty before the first revision (an
/// empty or missing versions directory); otherwise loaded with several heads allowed, so that
/// a history with two unmerged heads can still be merged (the result is validated with the
/// project's real options before anything is written).
pub(crate) fn load_for_authoring(layout: &Layout, cwd: &Path) -> Result<Graph, CliError> {
    let versions = cwd.join(&layout.versions);
    if !has_entries(&versions) {
        return Ok(Graph::empty());
    }
    let lenient = GraphOptions {
        allow_multiple_heads: true,
        ..layout.config.graph_options()
    };
    Ok(load_dir(&versions, cwd, &lenient)?.graph)
}

/// Whether `dir` holds anything the scan reads (a file that no ignore rule covers, in it or in
/// a subdirectory). Entries that cannot be read count, so that the scan reports them.
/// Whether a versions directory holds anything but ignored files (dotfiles, backups, READMEs).
pub(crate) fn has_revisions(dir: &Path) -> bool {
    has_entries(dir)
}

fn has_entries(dir: &Path) -> bool {
    let Ok(mut entries) = std::fs::read_dir(dir) else {
        return dir.exists();
    };
    entries.any(|entry| {
        let Ok(entry) = entry else { return true };
        match entry.file_name().to_str() {
            Some(name) if ignore_reason(name).is_some() => false,
            Some(_) if entry.path().is_dir() => has_entries(&entry.path()),
            _ => true,
        }
    })
}

/// `--depends-on` values as written into the file: branch labels stay labels (as Alembic keeps
/// them), ids and unique prefixes become full ids; each must name exactly one revision.
fn resolve_depends_on(graph: &Graph, values: &[String]) -> Result<Vec<String>, CliError> {
    let mut out: Vec<String> = Vec::new();
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        let resolved = if graph.get(value).is_none() && graph.by_label(value).is_some() {
            value.to_string()
        } else {
            match graph.resolve(value)?.as_slice() {
                [one] => (*one).to_string(),
                many => {
                    return Err(CliError::NotOneRevision {
                        target: value.to_string(),
                        revisions: many.iter().map(|id| (*id).to_string()).collect(),
                        command: "revision --depends-on",
                    })
                }
            }
        };
        if !out.contains(&resolved) {
            out.push(resolved);
        }
    }
    Ok(out)
}

/// The directory `--version-path` names: relative to the project root (or absolute), and inside
/// the versions directory, the only place aludel reads revisions from.
fn version_path(layout: &Layout, path: &Path, cwd: &Path) -> Result<PathBuf, CliError> {
    let dir = layout.root.join(path);
    let versions = cwd.join(&layout.versions);
    let below = display_path(&cwd.join(&dir), &versions);
    if below == ".." || below.starts_with("../") || Path::new(&below).is_absolute() {
        let shown = display_path(&versions, cwd);
        return Err(CliError::Authoring {
            message: format!(
                "--version-path `{}` is outside the versions directory `{shown}`: aludel reads revisions only from that directory and its subdirectories; name one of them (relative to the project root), e.g. `--version-path {shown}/feature`",
                path.display()
            ),
        });
    }
    Ok(dir)
}

/// What `revision` or `merge` decided about the new revision.
#[derive(Debug)]
pub(crate) struct Draft {
    /// The `down_revision`s.
    pub(crate) parents: Vec<String>,
    /// The `depends_on` entries.
    pub(crate) depends_on: Vec<String>,
    /// The directory to write into, relative to the current directory when possible.
    pub(crate) dir: PathBuf,
    /// A Rust revision (`.rs`) rather than SQL.
    pub(crate) rust: bool,
    /// What the file holds, where not the empty template.
    pub(crate) body: Option<Body>,
}

/// The sections of a new revision, as they are written.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// SQL revision sections.
    Sql {
        /// The upgrade section's text.
        upgrade: String,
        /// The downgrade section's text.
        downgrade: String,
    },
    /// A Rust revision's functions.
    Rust {
        /// The names the file uses from `aludel::op`.
        imports: Vec<&'static str>,
        /// `upgrade`'s statements.
        upgrade: String,
        /// `downgrade`'s statements.
        downgrade: String,
    },
}

/// Writes the new revision `draft` describes, with the options shared by `revision` and
/// `merge`, and returns its path and a newline (stdout).
pub(crate) fn write_revision(
    layout: &Layout,
    graph: &Graph,
    args: &NewRevisionArgs,
    draft: Draft,
    cwd: &Path,
    messages: &mut dyn Write,
) -> Result<String, CliError> {
    let config = &layout.config;
    let config_file = layout.config_file.as_deref().unwrap_or("aludel.toml");
    template::check_timezone(&config.timezone, config_file)?;

    let id = match &args.rev_id {
        Some(id) => checked_id(graph, id)?,
        None => fresh_id(graph),
    };
    let labels = checked_labels(graph, &args.branch_label)?;
    let message = template::one_line(args.message.as_deref().unwrap_or(""));
    let when = Timestamp::now()?;
    let slug = template::slug(&message, config.truncate_slug_length);
    let name = template::file_name(
        &config.file_template,
        &NameParts {
            rev: &id,
            slug: &slug,
            when: &when,
        },
    )?;
    let name = match (draft.rust, name.strip_suffix(".sql")) {
        (true, Some(stem)) => format!("{stem}.rs"),
        _ => name,
    };
    let file = cwd.join(&draft.dir).join(&name);
    let shown = display_path(&file, cwd);
    let new = NewRevision {
        id,
        down_revisions: draft.parents,
        branch_labels: labels,
        depends_on: draft.depends_on,
        message,
        create_date: when.iso8601(),
    };
    let text = match (&draft.body, draft.rust) {
        (Some(Body::Sql { upgrade, downgrade }), _) => {
            template::sql_revision_text(&new, upgrade, downgrade)
        }
        (
            Some(Body::Rust {
                imports,
                upgrade,
                downgrade,
            }),
            _,
        ) => template::rust_revision_with(&new, imports, upgrade, downgrade),
        (None, true) => template::rust_revision_text(&new),
        (None, false) => template::revision_text(&new),
    };

    // The file must parse, and the history with it must validate, before it is written.
    let revision = parse_revision(&shown, text.as_bytes()).map_err(|d| CliError::WouldBreak {
        path: shown.clone(),
        diagnostics: Diagnostics(d),
    })?;
    let mut revisions = graph.revisions().to_vec();
    revisions.push(revision);
    let options = config.graph_options();
    Graph::build(revisions, &options).map_err(|diagnostics| CliError::WouldBreak {
        path: shown.clone(),
        diagnostics,
    })?;

    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).map_err(|source| CliError::Io {
            action: "create directory",
            path: display_path(parent, cwd),
            source,
        })?;
    }
    write_new_file(&file, &shown, &text)?;
    say(messages, &format!("Generating {shown} ...  done"));

    if let Some(hook) = config.post_write_hook.as_deref() {
        run_hook(hook, &shown, cwd, messages)?;
    }
    Ok(format!("{shown}\n"))
}

/// Writes `text` to a file that must not exist yet.
pub(crate) fn write_new_file(file: &Path, shown: &str, text: &str) -> Result<(), CliError> {
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                CliError::Authoring {
                    message: format!("`{shown}` already exists, and aludel never overwrites a file: give another --rev-id or message, or change file_template"),
                }
            } else {
                CliError::Io {
                    action: "create",
                    path: shown.to_string(),
                    source,
                }
            }
        })?;
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| CliError::Io {
            action: "write",
            path: shown.to_string(),
            source,
        })
}

/// `--rev-id`, checked: a valid id that no revision or branch label uses.
fn checked_id(graph: &Graph, id: &str) -> Result<String, CliError> {
    if !is_valid_id(id) {
        return Err(CliError::Authoring {
            message: format!("invalid revision id `{id}` given with --rev-id: an id is 1 to 32 characters of letters, digits and `_`, and not `head`, `heads` or `base`"),
        });
    }
    if let Some(existing) = graph.get(id) {
        return Err(CliError::Authoring {
            message: format!(
                "revision id `{id}` is already used by {}; give another --rev-id, or leave it out for a random one",
                existing.source.path
            ),
        });
    }
    if let Some(owner) = graph.by_label(id) {
        return Err(CliError::Authoring {
            message: format!(
                "`{id}` is a branch label of revision {} ({}); give another --rev-id",
                owner.id, owner.source.path
            ),
        });
    }
    Ok(id.to_string())
}

/// A random id that no revision or branch label uses.
fn fresh_id(graph: &Graph) -> String {
    loop {
        let id = template::new_revision_id();
        if graph.get(&id).is_none() && graph.by_label(&id).is_none() {
            return id;
        }
    }
}

/// `--branch-label` values: valid, given once, and not used yet.
fn checked_labels(graph: &Graph, values: &[String]) -> Result<Vec<String>, CliError> {
    let mut out: Vec<String> = Vec::new();
    for label in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        if !is_valid_label(label) {
            return Err(CliError::Authoring {
                message: format!("invalid branch label `{label}`: a label is letters, digits, `_`, `.` and `-`, and not `head`, `heads` or `base`"),
            });
        }
        graph.check_new_label(label)?;
        if !out.iter().any(|l| l == label) {
            out.push(label.to_string());
        }
    }
    Ok(out)
}

/// Runs `post_write_hook` on the new file: the command line is split on whitespace and run
/// without a shell in `cwd`, with `{path}` replaced by the file's path, or the path appended
/// when no argument mentions `{path}`. Its output goes to `messages` (stderr), never to stdout.
fn run_hook(hook: &str, shown: &str, cwd: &Path, messages: &mut dyn Write) -> Result<(), CliError> {
    let mut words: Vec<String> = hook.split_whitespace().map(str::to_string).collect();
    if words.iter().any(|w| w.contains("{path}")) {
        for word in &mut words {
            *word = word.replace("{path}", shown);
        }
    } else {
        words.push(shown.to_string());
    }
    let stays = format!("{shown} was written and stays: fix the hook and run it yourself, or delete the file and try again");
    let Some((program, args)) = words.split_first() else {
        return Err(CliError::External {
            message: format!("post_write_hook is empty; remove it from the configuration or name a command; {stays}"),
        });
    };
    let command_line = words.join(" ");
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|err| CliError::External {
            message: format!("cannot run post_write_hook `{command_line}`: {err}; {stays}"),
        })?;
    if output.status.success() {
        say(
            messages,
            &format!("Running post_write_hook `{command_line}` ...  done"),
        );
        let _ = messages.write_all(&output.stdout);
        let _ = messages.write_all(&output.stderr);
        Ok(())
    } else {
        let mut message = format!(
            "post_write_hook `{command_line}` failed ({}); {stays}",
            exit_status(output.status)
        );
        for stream in [&output.stdout, &output.stderr] {
            for line in String::from_utf8_lossy(stream).lines() {
                message.push_str(&format!("\n  | {line}"));
            }
        }
        Err(CliError::External { message })
    }
}

/// `exit status 3`, or how the process ended without one.
pub(crate) fn exit_status(status: std::process::ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".to_string(),
    }
}
