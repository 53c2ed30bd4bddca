//! The command line grammar: clap derive types only, no behaviour.
//!
//! Each command has a variant of [`Command`], an options struct here and a module under
//! `commands/`. The commands that connect to a database (`upgrade`, `downgrade`, `stamp`,
//! `current`, `check`) share [`DatabaseArgs`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Alembic's commands for Rust projects: write revisions, inspect the history, migrate databases.
#[derive(Debug, Parser)]
#[command(name = "aludel", version, propagate_version = true)]
pub struct Cli {
    /// Where the project is.
    #[command(flatten)]
    pub project: ProjectArgs,

    /// A KEY=VALUE passed through to the program running the commands, as Alembic's -x
    /// (repeatable); aludel's own commands read no key, programs built on aludel-cli may.
    ///
    /// Programs read them with `Cli::x_argument` (see `aludel_cli::run_embedded_cli`).
    #[arg(short = 'x', value_name = "KEY=VALUE", global = true, value_parser = parse_x_argument)]
    pub x: Vec<XArgument>,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up a project: migrations/versions/, aludel.toml and a build.rs that rebuilds the
    /// crate when a revision file is added; keeps whatever exists.
    Init(InitArgs),
    /// Write a new revision file on the head (or on --head).
    Revision(RevisionArgs),
    /// Write a merge revision that joins several heads into one.
    Merge(MergeArgs),
    /// Open a revision file in $VISUAL or $EDITOR.
    Edit(EditArgs),
    /// Show the current head revisions of the versions directory.
    Heads(HeadsArgs),
    /// Show the branch points of the history and the branches that leave them.
    Branches(BranchesArgs),
    /// List revisions, newest first.
    History(HistoryArgs),
    /// Show one revision.
    Show(ShowArgs),
    /// Upgrade the database to TARGET (e.g. `heads`, `+1`, a revision); in a project of
    /// several databases, every one of them (revision by revision), or `--database NAME`.
    Upgrade(MigrateArgs),
    /// Downgrade the database to TARGET (e.g. `-1`, a revision, `base`, `label@base`); in a
    /// project of several databases, every one of them (in the reverse order), or
    /// `--database NAME`.
    Downgrade(MigrateArgs),
    /// Set the database's version table to TARGET without running any SQL (every database
    /// of a project of several, or `--database NAME`).
    Stamp(StampArgs),
    /// Show the revisions the database is at (its version table); in a project of several
    /// databases, each one's, prefixed with its name (JSON: an object per database).
    Current(CurrentArgs),
    /// Exit 1 unless the history is valid and the database is at its heads (every database
    /// of a project of several, or `--database NAME`).
    Check(CheckArgs),
    /// Print the schema.rs the history yields (replayed into a scratch database of the
    /// project's dialect), as diesel print-schema prints it; with --database-url, a live
    /// database's.
    PrintSchema(PrintSchemaArgs),
    /// Turn another tool's migrations into an aludel history (`import diesel DIR`).
    Import(ImportArgs),
}

/// Options of `aludel print-schema`.
#[derive(Debug, Clone, Args)]
pub struct PrintSchemaArgs {
    /// A live database to read instead of the history.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,

    /// The PostgreSQL or MySQL server the history is replayed on, in a scratch database
    /// created there and dropped afterwards (default: the configured database's server; a
    /// project on SQLite replays into a temporary file).
    #[arg(long, value_name = "URL", conflicts_with = "database_url")]
    pub dev_url: Option<String>,
}

/// Options of `aludel import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// Where the migrations come from.
    #[command(subcommand)]
    pub source: ImportSource,
}

/// The tools `aludel import` reads.
#[derive(Debug, Clone, Subcommand)]
pub enum ImportSource {
    /// A diesel migrations folder (`<version>_<name>/up.sql`, `down.sql`, `metadata.toml`),
    /// imported as a linear history in diesel's order into the empty versions directory.
    Diesel {
        /// The diesel migrations folder.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// One `-x KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XArgument {
    /// The key: what comes before the first `=`.
    pub key: String,
    /// The value: everything after the first `=` (may be empty).
    pub value: String,
}

/// Parses `KEY=VALUE` strictly: a non-empty key without whitespace, then `=`.
fn parse_x_argument(text: &str) -> Result<XArgument, String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() && !key.contains(char::is_whitespace) => {
            Ok(XArgument {
                key: key.to_string(),
                value: value.to_string(),
            })
        }
        _ => Err(format!(
            "expected KEY=VALUE (e.g. -x tenant=acme), got `{text}`"
        )),
    }
}

impl Cli {
    /// The value of `-x KEY=...`; the last one when the key is given several times (as
    /// Alembic's `get_x_argument(as_dictionary=True)`).
    pub fn x_argument(&self, key: &str) -> Option<&str> {
        self.x
            .iter()
            .rev()
            .find(|x| x.key == key)
            .map(|x| x.value.as_str())
    }

    /// Every `-x` value by key (the last one wins for a repeated key).
    pub fn x_arguments(&self) -> std::collections::BTreeMap<&str, &str> {
        self.x
            .iter()
            .map(|x| (x.key.as_str(), x.value.as_str()))
            .collect()
    }

    /// The database options of the command, for the commands that connect to a database;
    /// a program that embeds the command line may fill in the URL (see
    /// [`crate::run_embedded_cli`]).
    pub fn database_mut(&mut self) -> Option<&mut DatabaseArgs> {
        match &mut self.command {
            Command::Upgrade(args) | Command::Downgrade(args) => Some(&mut args.database),
            Command::Stamp(args) => Some(&mut args.database),
            Command::Current(args) => Some(&mut args.database),
            Command::Check(args) => Some(&mut args.database),
            _ => None,
        }
    }
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

    /// The revisions embedded in the binary that runs the command line (set by
    /// [`crate::run_embedded`], never by an argument); `None` for the `aludel` binary, which
    /// reads revision files.
    #[arg(skip)]
    pub embedded: Option<&'static aludel::Migrations>,
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

/// Options of `aludel init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The project directory, beside the crate's Cargo.toml (default: the current directory;
    /// created when missing).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// What `revision` and `merge` both take: the message, the id and branch labels.
#[derive(Debug, Clone, Default, Args)]
pub struct NewRevisionArgs {
    /// The message: the revision's description, and the slug of its file name.
    #[arg(short = 'm', long = "message", value_name = "MSG")]
    pub message: Option<String>,

    /// The id of the new revision (letters, digits, `_`; at most 32), instead of 12 random hex
    /// digits; it must not be in use.
    #[arg(long = "rev-id", value_name = "ID")]
    pub rev_id: Option<String>,

    /// A branch label for the new revision (repeatable, or comma-separated); a second head or
    /// base needs one.
    #[arg(long = "branch-label", value_name = "LABEL", value_delimiter = ',')]
    pub branch_label: Vec<String>,
}

/// Options of `aludel revision`.
#[derive(Debug, Clone, Args)]
pub struct RevisionArgs {
    /// Message, id and branch labels.
    #[command(flatten)]
    pub new: NewRevisionArgs,

    /// The revision to build on: `head` (the default, an error with several heads), a
    /// `<label>@head`, a revision (not a head: add --splice) or `base` (a new base, which needs
    /// --branch-label).
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,

    /// Allow --head to name a revision that is not a head, starting a new branch from it.
    #[arg(long)]
    pub splice: bool,

    /// Write a Rust revision (`.rs`: `upgrade` and `downgrade` functions on `aludel::op::Op`)
    /// instead of an SQL one. Rust revisions run from a binary that embeds the history.
    #[arg(long)]
    pub rust: bool,

    /// A revision (id, unique prefix) or branch label the new revision depends on without
    /// descending from it (repeatable, or comma-separated).
    #[arg(long = "depends-on", value_name = "REV", value_delimiter = ',')]
    pub depends_on: Vec<String>,

    /// Write the file into this directory (relative to the project root): the versions
    /// directory or one of its subdirectories, created when missing.
    #[arg(long = "version-path", value_name = "DIR")]
    pub version_path: Option<PathBuf>,
    /// Write the changes that take the history's schema to the one diesel's `schema.rs`
    /// declares (tables, columns, types, nullability, primary and foreign keys, PostgreSQL
    /// enums), with their downgrade, as `alembic revision --autogenerate` does: the history is
    /// replayed into a scratch database, where the revision is tried both ways before it is
    /// written. No changes: no file.
    #[arg(long)]
    pub autogenerate: bool,

    /// With --autogenerate: the schema file (default: diesel.toml's `[print_schema] file`,
    /// else `src/schema.rs`).
    #[arg(long, value_name = "PATH", requires = "autogenerate")]
    pub schema: Option<PathBuf>,

    /// With --autogenerate: a rename rather than a drop and an add, by the history's names:
    /// `TABLE.COLUMN=NEW_NAME` for a column, `TABLE=NEW_NAME` for a table (repeatable).
    #[arg(long, value_name = "OLD=NEW", requires = "autogenerate")]
    pub rename: Vec<String>,

    /// With --autogenerate: the PostgreSQL or MySQL server the history is replayed on, in a
    /// database created for it and dropped afterwards (default: the configured database's
    /// server; SQLite needs none).
    #[arg(long, value_name = "URL", requires = "autogenerate")]
    pub dev_url: Option<String>,
}

/// Options of `aludel merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The revisions to merge (ids, prefixes, `<label>@head`), at least two, or `heads` for
    /// every head.
    #[arg(value_name = "REVS", required = true)]
    pub revisions: Vec<String>,

    /// Message, id and branch labels.
    #[command(flatten)]
    pub new: NewRevisionArgs,
}

/// Options of `aludel edit`.
#[derive(Debug, Clone, Args)]
pub struct EditArgs {
    /// The revision: an id, a unique id prefix, a branch label, `head`, `<label>@head`, ...;
    /// it must name exactly one revision.
    #[arg(value_name = "REV", allow_hyphen_values = true)]
    pub rev: String,
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

/// Which database to use: the option shared by the commands that connect.
#[derive(Debug, Clone, Default, Args)]
pub struct DatabaseArgs {
    /// The database URL: `postgres://user:password@host/db`, a libpq `host=... dbname=...`
    /// string, `mysql://...` (or `mariadb://`), `sqlite://path`, `sqlite:path`, or the path of
    /// an existing SQLite file or of one named *.db, *.sqlite, *.sqlite3 or *.db3. Overrides the
    /// `DATABASE_URL` environment variable, which overrides `database_url` in aludel.toml.
    ///
    /// In a project of several databases (`[databases.<name>]` tables in aludel.toml) it
    /// says nothing about which database it is for: it is refused, as `DATABASE_URL` is,
    /// unless `--database NAME` names one, whose `url` it then replaces.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,

    /// In a project of several databases (`[databases.<name>]` tables in aludel.toml): act
    /// on this one only. Without it, `upgrade`, `downgrade`, `stamp`, `current`, `check` and
    /// `--sql` act on every configured database, in the file's order (a downgrade in the
    /// reverse order), and print each database's lines prefixed with its name. An error in a
    /// project that configures none.
    #[arg(long, value_name = "NAME")]
    pub database: Option<String>,
}

/// Options of `aludel upgrade` and `aludel downgrade`.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// Where to go: `heads`, `head`, `base`, a revision id or unique prefix, `+N`/`-N`,
    /// `<rev>+N`, `<label>@head`, `<label>@base`, `<label>@-N`, ...; with `--sql` also a
    /// range `from:to` (a downgrade script requires one).
    #[arg(value_name = "TARGET", allow_hyphen_values = true)]
    pub target: String,

    /// Print the SQL script to stdout instead of running it; never connects to a database.
    /// In a project of several databases, one script per database (or for `--database
    /// NAME`), each headed `-- database: <name>`.
    #[arg(long, conflicts_with = "dry_run")]
    pub sql: bool,

    /// The SQL dialect of `--sql`: `sqlite`, `postgres` or `mysql` (default: the scheme of
    /// the configured database URL).
    #[arg(long, value_name = "DIALECT", requires = "sql", value_parser = parse_dialect)]
    pub dialect: Option<aludel::Dialect>,

    /// Print the plan (each revision that would run) to stdout and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Output format on stdout: `text`, or `json` for the plan of `--dry-run` (one object per
    /// step) or the report of a run (what ran, with durations); progress stays on stderr.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,

    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// A fleet of databases instead of one (`upgrade` only).
    #[command(flatten)]
    pub fleet: TargetsArgs,

    /// With --targets: go on past a failed target (by default no new target starts once one
    /// has failed; those running finish).
    #[arg(long, requires = "targets")]
    pub continue_on_error: bool,

    /// With --targets: migrate the first K targets first, and stop there if one of them fails
    /// (whatever --continue-on-error says).
    #[arg(long, value_name = "K", requires = "targets")]
    pub canary: Option<usize>,
}

/// A fleet of databases with one history (`upgrade --targets`, `current --targets`, `check
/// --targets`).
#[derive(Debug, Clone, Default, Args)]
pub struct TargetsArgs {
    /// Act on every database of a list instead of one: FILE (`-` for stdin) holds one target
    /// per line, a database URL (as --database-url takes) optionally followed by
    /// `schema=NAME` for a PostgreSQL schema per tenant (its version table, log and tables
    /// inside it); `#` starts a comment. Prints a report per target (`--format json`: an
    /// array of `{"target", "status", "error", "applied", ...}`); exits 0 only when every
    /// target is at the heads. Running the same list again finishes what is left.
    /// (Not with --database-url, --sql, --dry-run or --schema.)
    #[arg(long, value_name = "FILE", conflicts_with = "database_url")]
    pub targets: Option<String>,

    /// With --targets: work on up to N targets at once, over at most N connections.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        requires = "targets",
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub parallel: u16,
}

fn parse_dialect(text: &str) -> Result<aludel::Dialect, String> {
    text.parse()
        .map_err(|e: aludel::graph::sql::UnknownDialect| e.to_string())
}

/// Options of `aludel stamp`.
#[derive(Debug, Clone, Args)]
pub struct StampArgs {
    /// The revision(s) to record: `heads`, `base`, a revision, `<label>@head`, ...
    #[arg(
        value_name = "TARGET",
        allow_hyphen_values = true,
        required_unless_present = "from_diesel"
    )]
    pub target: Option<String>,

    /// Empty the version table first, whatever it holds (even revisions this history does not
    /// know).
    #[arg(long, conflicts_with = "from_diesel")]
    pub purge: bool,

    /// Take over a database that diesel_migrations manages: stamp the revision that
    /// `aludel import diesel` made of the newest migration diesel applied (no TARGET).
    #[arg(long, conflicts_with = "target")]
    pub from_diesel: bool,

    /// First record the current revision files as the applied ones, after a deliberate edit of
    /// an applied revision (what a "changed after it was applied" error asks for).
    #[arg(long, conflicts_with = "from_diesel")]
    pub accept_changes: bool,

    /// Print what the stamp would change to stdout and change nothing.
    #[arg(long, conflicts_with_all = ["from_diesel", "accept_changes"])]
    pub dry_run: bool,

    /// Output format on stdout: `text`, or `json` for the plan of `--dry-run` (one object per
    /// step) or the stamp's report.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,

    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Options of `aludel current`.
#[derive(Debug, Clone, Args)]
pub struct CurrentArgs {
    /// Print a full entry per revision (Rev, Parent, Path, message) instead of one line.
    #[arg(short, long)]
    pub verbose: bool,

    /// Output format.
    #[command(flatten)]
    pub output: FormatArgs,

    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// A fleet of databases instead of one.
    #[command(flatten)]
    pub fleet: TargetsArgs,
}

/// Options of `aludel check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Instead of the database, check diesel's `schema.rs`: replay the history into a scratch
    /// database of the project's dialect and compare its tables with PATH (default:
    /// diesel.toml's `[print_schema] file`, else `src/schema.rs`), and the configured
    /// database's too; exit 1 with the differences.
    /// (Not with `--database`: the schema check reads one database.)
    #[arg(long, value_name = "PATH", num_args = 0..=1, conflicts_with = "database")]
    pub schema: Option<Option<PathBuf>>,

    /// With `--schema`: the PostgreSQL or MySQL server the history is replayed on, in a
    /// scratch database created there and dropped afterwards (default: the configured
    /// database's server).
    #[arg(long, value_name = "URL", requires = "schema")]
    pub dev_url: Option<String>,

    /// Output format of `--schema` and `--targets`: `text` or `json` (one object with every
    /// difference; an object per target).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Text)]
    pub format: Format,

    /// A fleet of databases instead of one.
    #[command(flatten)]
    pub fleet: TargetsArgs,
}
