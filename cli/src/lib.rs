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
//! Data (text or JSON) goes to stdout; errors go to stderr as `error: <message>` with exit
//! code 1 (2 for a command line that does not parse). An invalid history prints the same
//! diagnostics as the compile-time macro.

pub mod cli;
pub mod commands;
pub mod error;
pub mod json;
pub mod project;
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
    match run(args, &mut stdout) {
        Ok(code) => code,
        Err(err) => {
            let report = err.report();
            if !report.is_empty() {
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
    let cli = match Cli::try_parse_from(args) {
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
    let cwd = std::env::current_dir().map_err(CliError::CurrentDir)?;
    let output = execute(&cli, &cwd)?;
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
    }
}

fn write_out(stdout: &mut dyn Write, text: &str) -> Result<(), CliError> {
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(CliError::Output)
}
