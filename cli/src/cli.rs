//! The command line grammar: clap derive types only, no behaviour.
//!
//! Commands that need a database (`upgrade`, `downgrade`, `current`, `stamp`, `check`) and
//! commands that write revision files (`init`, `revision`, `merge`) get their own variant of
//! [`Command`] and their own module under `commands/` when they are implemented; until then
//! they do not appear in `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Alembic's commands for Rust projects: inspect the revision history of a versions directory.
#[derive(Debug, Parser)]
#[command(name = "aludel", version, propagate_version = true)]
pub struct Cli {
    /// Where the project is.
    #[command(flatten)]
    pub project: ProjectArgs,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the current head revisions of the versions directory.
    Heads(HeadsArgs),
    /// Show the branch points of the history and the branches that leave them.
    Branches(BranchesArgs),
    /// List revisions, newest first.
    History(HistoryArgs),
    /// Show one revision.
    Show(ShowArgs),
}

/// How to find the project; accepted before or after the command.
#[derive(Debug, Clone, Default, Args)]
pub struct ProjectArgs {
    /// Path to the project's aludel.toml; its directory is the project root (default: the
    /// nearest aludel.toml, else migrations/versions, from the current directory upwards).
    #[arg(short = 'c', long = "config", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// The versions directory to read, overriding the one the configuration names.
    #[arg(long = "versions", value_name = "DIR", global = true)]
    pub versions: Option<PathBuf>,
}

/// The output format of read-only commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// Alembic's text output.
    #[default]
    Text,
    /// Pretty-printed JSON on stdout (an array, or one object for `show`).
    Json,
}

/// The output format option shared by the read-only commands.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct FormatArgs {
    /// Output format: `text` (as Alembic prints it) or `json` (pretty-printed, one object per
    /// revision; `--verbose` makes no difference to it).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,
}

/// Options of `aludel heads`.
#[derive(Debug, Clone, Args)]
pub struct HeadsArgs {
    /// Print a full entry per head (Rev, Parent, Path, message) instead of one line.
    #[arg(short, long)]
    pub verbose: bool,

    /// Leave out heads that another revision depends on (Alembic's "effective heads"): list
    /// only the heads a database at `heads` records in its version table.
    #[arg(long)]
    pub resolve_dependencies: bool,

    /// Output format.
    #[command(flatten)]
    pub output: FormatArgs,
}

/// Options of `aludel branches`.
#[derive(Debug, Clone, Args)]
pub struct BranchesArgs {
    /// Print a full entry per branch point and the message of each branch.
    #[arg(short, long)]
    pub verbose: bool,

    /// Output format.
    #[command(flatten)]
    pub output: FormatArgs,
}

/// Options of `aludel history`.
#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// The revisions to list: `[start]:[end]` (e.g. `ae10:heads`, `:b`, `b:`),
    /// or one target meaning `base:<target>`; the start is included. Targets relative to the
    /// database (`-1`, `current`) are not available: name a revision (e.g. `head-1`).
    #[arg(
        short = 'r',
        long = "rev-range",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    pub rev_range: Option<String>,

    /// Print a full entry per revision (Rev, Parent, Path, message) instead of one line.
    #[arg(short, long)]
    pub verbose: bool,

    /// Output format.
    #[command(flatten)]
    pub output: FormatArgs,
}

/// Options of `aludel show`.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The revision: an id, a unique id prefix, a branch label, `head`, `<label>@head`,
    /// `<rev>-1`, ...; it must name exactly one revision.
    #[arg(value_name = "REV", allow_hyphen_values = true)]
    pub rev: String,

    /// Output format.
    #[command(flatten)]
    pub output: FormatArgs,
}
