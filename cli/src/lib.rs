//! The `aludel` command line, as a library so that other binaries (an application that
//! embeds its migrations, say) can offer the same commands.
//!
//! ```no_run
//! use std::process::ExitCode;
//!
//! fn main() -> ExitCode {
//!     aludel_cli::main_with_args(std::env::args_os())
//! }
//! ```
//!
//! The read-only commands work from the versions directory alone, without a database:
//!
//! | command | prints |
//! |---|---|
//! | `aludel heads [-v] [--resolve-dependencies]` | the heads, `c2 (head)` |
//! | `aludel branches [-v]` | each branch point and its branches |
//! | `aludel history [-r RANGE] [-v]` | every revision newest first, `b -> c2 (head), message` |
//! | `aludel show REV` | one revision in full |
//!
//! Each takes `--format json` (see [`json`] for the schema). The project is found from the
//! current directory upwards (`aludel.toml`, else `migrations/versions`), or named with the
//! global options `-c/--config FILE` and `--versions DIR`.
//!
//! The commands that write files (see [`template`] for the file names and the file format):
//!
//! | command | does |
//! |---|---|
//! | `aludel init [DIR]` | `migrations/versions/`, a commented `aludel.toml`, a `build.rs` that rebuilds on new revisions; keeps what exists |
//! | `aludel revision -m MSG [--head REV] [--splice] [--branch-label L] [--depends-on REV] [--rev-id ID] [--version-path DIR] [--rust]` | a new revision (SQL, or Rust with `--rust`); prints its path |
//! | `aludel merge REVS\|heads -m MSG` | a merge revision; prints its path |
//! | `aludel edit REV` | opens the revision's file in `$VISUAL` or `$EDITOR` |
//!
//! A new revision must leave a valid history (a second head or base needs a branch label), or
//! nothing is written; `post_write_hook` in `aludel.toml` then runs on the new file.
//!
//! The commands that use a database (see [`database`] for URLs, precedence and masking):
//!
//! | command | does |
//! |---|---|
//! | `aludel upgrade TARGET [--sql [--dialect D]] [--dry-run]` | applies revisions; one stderr line per revision with its duration, then `database at <heads>` |
//! | `aludel downgrade TARGET [--sql] [--dry-run]` | reverts revisions; a downgrade that crosses branches (`label@base`) shows its plan first |
//! | `aludel stamp TARGET [--purge] [--accept-changes] [--dry-run]`, `aludel stamp --from-diesel` | sets the version table, runs no SQL |
//! | `aludel current [-v] [--format json]` | the version table's rows, `c2 (head)` |
//! | `aludel check` | exit 0 when the database is at the heads, 1 (saying what is pending) otherwise |
//! | `aludel upgrade heads --targets FILE [--parallel N] [--continue-on-error] [--canary K]`, `current --targets FILE`, `check --targets FILE` | a fleet: every database (or PostgreSQL schema) of a list, a report per target (see [`commands::fleet`]) |
//!
//! The URL comes from `--database-url`, else `DATABASE_URL`, else `database_url` in
//! aludel.toml; `version_table` and `version_table_schema` there configure the runtime.
//! `--sql` prints the offline script (`TARGET` or `from:to`) to stdout and never connects;
//! `--dry-run` prints the plan to stdout and changes nothing. `current`, `check` and
//! `--dry-run` create nothing (not even an SQLite file). Messages and progress go to stderr,
//! coloured only on a terminal and never with `NO_COLOR` (see [`output`]); passwords in URLs
//! are always shown as `***`.
//!
//! Several databases (`[databases.<name>]` tables in aludel.toml, see [`several`]): the
//! commands above act on every configured database in the file's order, through
//! [`aludel::Databases`] (an upgrade revision by revision across them, a downgrade in the
//! reverse order), or on the one `--database NAME` names; each database's lines are prefixed
//! with its name, `--sql` prints a script per database headed `-- database: <name>`, and
//! `current --format json` is an array of `{"database": name, "revisions": [...]}`.
//! `--database-url` and `DATABASE_URL` need `--database NAME` there (they replace that
//! database's `url`).
//!
//! `-x KEY=VALUE` (repeatable, global) is parsed strictly and kept for programs built on this
//! crate ([`Cli::x_argument`]); aludel's own commands read no key, since revisions are plain
//! SQL (there is no `env.py` to read them). A program that embeds its revisions gets every
//! command with [`run_embedded`].
//!
//! Data (text or JSON) goes to stdout; errors go to stderr as `error: <message>` with exit
//! code 1 (a command line that does not parse included). An invalid history prints the same
//! diagnostics as the compile-time macro.

pub mod cli;
pub mod commands;
pub mod database;
pub mod error;
mod interrupt;
pub mod json;
pub mod output;
pub mod project;
pub mod several;
pub mod template;
pub mod text;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

pub use cli::Cli;
pub use error::CliError;
pub use project::Project;

/// Runs the command line on `args` (the first is the program name) and returns the exit
/// code: output on stdout, errors on stderr. Never panics on user input.
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    exit_code(run(args, &mut stdout))
}

/// The command line of a program that embeds its revisions (`aludel::embed_migrations!`),
/// e.g. a service's `src/bin/migrate.rs`:
///
/// ```no_run
/// static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../migrations/versions");
///
/// fn main() -> std::process::ExitCode {
///     aludel_cli::run_embedded(&MIGRATIONS)
/// }
/// ```
///
/// Every command of `aludel` runs against the embedded revisions, with the same code and
/// output: `upgrade`, `downgrade`, `stamp`, `current`, `check`, `heads`, `history`, ... The
/// database URL comes from `--database-url`, `DATABASE_URL`, or `database_url` in an
/// aludel.toml in the current directory (or named by `--config`), which may also set the
/// version table. Commands that work on revision files (`init`, `revision`, `merge`, `edit`,
/// `import`) and `--versions` exit 1 with a message saying so, but for `revision
/// --autogenerate`, which needs a binary that runs the history's Rust revisions: it replays the
/// embedded history and writes the new revision into the versions directory of the project in
/// the current directory (or of `--config`), whose files must be the ones the binary embeds.
pub fn run_embedded(migrations: &'static aludel::Migrations) -> ExitCode {
    run_embedded_with_args(migrations, std::env::args_os())
}

/// [`run_embedded`] with explicit arguments (the first is the program name).
pub fn run_embedded_with_args<I, T>(migrations: &'static aludel::Migrations, args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    exit_code(run_with(args, &mut stdout, Some(migrations)))
}

/// [`run_embedded`] for a command line the program parsed itself, e.g. to act on `-x`
/// values before the command runs:
///
/// ```no_run
/// use clap::Parser;
///
/// static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../migrations/versions");
///
/// fn main() -> std::process::ExitCode {
///     let mut cli = aludel_cli::Cli::parse();
///     // `migrate -x tenant=acme upgrade heads`: the tenant's database, unless a URL is given.
///     if let Some(tenant) = cli.x_argument("tenant").map(str::to_string) {
///         if let Some(database) = cli.database_mut() {
///             database
///                 .database_url
///                 .get_or_insert(format!("postgres://app@db/{tenant}"));
///         }
///     }
///     aludel_cli::run_embedded_cli(&MIGRATIONS, cli)
/// }
/// ```
pub fn run_embedded_cli(migrations: &'static aludel::Migrations, mut cli: Cli) -> ExitCode {
    cli.project.embedded = Some(migrations);
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    exit_code(run_cli(&cli, &mut stdout))
}

/// Shows an error on stderr (`error:` in red on a terminal) and returns the exit code.
fn exit_code(result: Result<ExitCode, CliError>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(err) => {
            let report = err.report();
            if !report.is_empty() {
                let report = output::paint_report(&report, output::colour_stderr());
                // Nothing better to do when stderr is gone too.
                let _ = writeln!(std::io::stderr(), "{report}");
            }
            err.exit_code()
        }
    }
}

/// Parses `args` and runs the command in the current directory, writing its output to
/// `stdout`.
pub fn run<I, T>(args: I, stdout: &mut dyn Write) -> Result<ExitCode, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_with(args, stdout, None)
}

/// [`run`], with the revisions embedded in the program when there are.
fn run_with<I, T>(
    args: I,
    stdout: &mut dyn Write,
    embedded: Option<&'static aludel::Migrations>,
) -> Result<ExitCode, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // --help and --version: stdout, success.
        Err(err) if !err.use_stderr() => {
            let mut text = err.render().to_string();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            write_out(stdout, &text)?;
            return Ok(ExitCode::SUCCESS);
        }
        Err(err) => return Err(CliError::Usage(err)),
    };
    cli.project.embedded = embedded;
    run_cli(&cli, stdout)
}

/// Runs a parsed command line in the current directory.
fn run_cli(cli: &Cli, stdout: &mut dyn Write) -> Result<ExitCode, CliError> {
    let cwd = std::env::current_dir().map_err(CliError::CurrentDir)?;
    let output = match execute(cli, &cwd) {
        Ok(output) => output,
        Err(mut error) => {
            // A report written before the error (`check --schema`, `--targets`).
            write_out(stdout, &error.take_stdout())?;
            return Err(error);
        }
    };
    write_out(stdout, &output)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs a parsed command as if started in `cwd` and returns its stdout text.
pub fn execute(cli: &Cli, cwd: &std::path::Path) -> Result<String, CliError> {
    use cli::Command;
    match &cli.command {
        Command::Heads(args) => commands::heads::run(&Project::locate(&cli.project, cwd)?, args),
        Command::Branches(args) => {
            commands::branches::run(&Project::locate(&cli.project, cwd)?, args)
        }
        Command::History(args) => {
            commands::history::run(&Project::locate(&cli.project, cwd)?, args)
        }
        Command::Show(args) => commands::show::run(&Project::locate(&cli.project, cwd)?, args),
        Command::Upgrade(args) if args.fleet.targets.is_some() => {
            commands::fleet::upgrade(&Project::locate(&cli.project, cwd)?, args, cwd)
        }
        Command::Upgrade(args) => {
            commands::upgrade::run(&Project::locate(&cli.project, cwd)?, args)
        }
        Command::Downgrade(args) if args.fleet.targets.is_some() => {
            Err(database::DatabaseError::FleetDowngrade.into())
        }
        Command::Downgrade(args) => {
            commands::downgrade::run(&Project::locate(&cli.project, cwd)?, args)
        }
        Command::Stamp(args) => commands::stamp::run(&Project::locate(&cli.project, cwd)?, args),
        Command::Current(args) if args.fleet.targets.is_some() => {
            commands::fleet::current(&Project::locate(&cli.project, cwd)?, args, cwd)
        }
        Command::Current(args) => {
            commands::current::run(&Project::locate(&cli.project, cwd)?, args)
        }
        Command::PrintSchema(args) => {
            commands::schema::print(&Project::locate(&cli.project, cwd)?, args, cwd)
        }
        Command::Check(args) if args.fleet.targets.is_some() => {
            commands::fleet::check(&Project::locate(&cli.project, cwd)?, args, cwd)
        }
        Command::Check(args) => {
            commands::check::run(&Project::locate(&cli.project, cwd)?, args, cwd)
        }
        Command::Init(args) => {
            cli.project.require_files("init")?;
            commands::init::run(args, cwd, &mut std::io::stderr())
        }
        Command::Revision(args) => {
            // A binary that embeds the history replays it, Rust revisions too, for
            // --autogenerate, and writes the new file beside the ones it was built from.
            if !args.autogenerate {
                cli.project.require_files("revision")?;
            }
            commands::revision::run(&cli.project, args, cwd, &mut std::io::stderr())
        }
        Command::Merge(args) => {
            cli.project.require_files("merge")?;
            commands::merge::run(&cli.project, args, cwd, &mut std::io::stderr())
        }
        Command::Edit(args) => {
            cli.project.require_files("edit")?;
            commands::edit::run(&cli.project, args, cwd, &mut std::io::stderr())
        }
        Command::Import(args) => {
            cli.project.require_files("import")?;
            commands::import::run(&cli.project, args, cwd, &mut std::io::stderr())
        }
    }
}

fn write_out(stdout: &mut dyn Write, text: &str) -> Result<(), CliError> {
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(CliError::Output)
}
