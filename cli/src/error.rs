//! The errors of the command line, and how each one is shown.

use std::process::ExitCode;

use aludel_graph::{Diagnostic, Diagnostics};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The arguments do not parse (clap's message, with usage).
    #[error("{}", .0.render().to_string().trim_end())]
    Usage(clap::Error),

    /// The current directory cannot be read.
    #[error("cannot read the current directory: {0}")]
    CurrentDir(std::io::Error),

    /// Neither `--config`, `--versions` nor a project around the current directory.
    #[error("no aludel.toml or migrations/versions directory was found in the current directory or any directory above it; run aludel inside a project, or name one with `--config <path/to/aludel.toml>` or `--versions <path/to/versions>`")]
    NoProject,

    /// The configuration file cannot be read.
    #[error("cannot read configuration file `{path}`: {source}")]
    ReadConfig {
        /// The file, as shown to people.
        path: String,
        /// The reason.
        source: std::io::Error,
    },

    /// The configuration file is invalid.
    #[error("{0}")]
    Config(Diagnostic),

    /// `check --schema` and `print-schema`: the schema file cannot be read or parsed, the
    /// history cannot be replayed, or the database cannot be read.
    #[error("{location}: {message}")]
    Schema {
        /// What it concerns, as shown to people: the file (with line and column where it does
        /// not parse), the database, the scratch database.
        location: String,
        /// What is wrong (with its line and column where the file does not parse).
        message: String,
    },

    /// `check --schema`: the history and the schema file differ. `stdout` is written before
    /// the message (the JSON report of `--format json`).
    #[error("{message}")]
    SchemaDiffers {
        /// What goes to stdout.
        stdout: String,
        /// The differences, at most ten and a count of the rest.
        message: String,
    },

    /// A fleet run (`--targets`) that left targets short of where it was meant to take them:
    /// `stdout` (the report) is written before the message (the summary).
    #[error("{message}")]
    WithOutput {
        /// What goes to stdout.
        stdout: String,
        /// What failed or did not start, counted.
        message: String,
    },

    /// The list of targets (`--targets`) cannot be read, or names a URL aludel cannot read.
    #[error("targets {spec}: {message}")]
    Targets {
        /// `file <path>` or `from stdin`.
        spec: String,
        /// What is wrong (at most ten lines, and a count of the rest).
        message: String,
    },

    /// The revision history is invalid; shown exactly as the compile-time macro shows it.
    #[error("{0}")]
    Invalid(Diagnostics),

    /// A target does not resolve.
    #[error(transparent)]
    Graph(#[from] aludel_graph::Error),

    /// A history range without a colon (Alembic's wording).
    #[error("History range requires [start]:[end], [start]:, or :[end] (got '{range}')")]
    RangeSyntax {
        /// The range as written.
        range: String,
    },

    /// A target counts from the database's current revision, and no database is read.
    #[error("'{target}' needs the database's current revision, but this command reads only the versions directory, not a database; name a revision instead (e.g. {example})")]
    NeedsDatabase {
        /// The target as written.
        target: String,
        /// An absolute target to use instead.
        example: String,
    },

    /// A target that names no revision or several where one is required.
    #[error("{}", not_one(.target, .revisions, .command))]
    NotOneRevision {
        /// The target as written.
        target: String,
        /// What it resolved to.
        revisions: Vec<String>,
        /// The command that needs one revision.
        command: &'static str,
    },

    /// `init`, `revision`, `merge` or `edit` cannot do what was asked (an invalid `--rev-id`, a
    /// file that exists, an unsupported time zone, ...); the message says what to do.
    #[error("{message}")]
    Authoring {
        /// What is wrong and what to do.
        message: String,
    },

    /// The new revision would make the history invalid, so its file was not written.
    #[error("the new revision would make the revision history invalid, so {path} was not written:\n{diagnostics}")]
    WouldBreak {
        /// The file that was not written, as shown to people.
        path: String,
        /// What validation of the history with the new revision found.
        diagnostics: Diagnostics,
    },

    /// A file or directory cannot be created, read or written.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// What was being done, e.g. `create directory`.
        action: &'static str,
        /// The path, as shown to people.
        path: String,
        /// The reason.
        source: std::io::Error,
    },

    /// The editor or a post-write hook could not start or failed.
    #[error("{message}")]
    External {
        /// What ran, how it failed, and what became of the file.
        message: String,
    },

    /// Writing to stdout failed.
    #[error("cannot write output: {0}")]
    Output(std::io::Error),

    /// A command that connects to a database failed (no URL, cannot connect, a revision
    /// failed, ...). Passwords are already masked in the message.
    #[error(transparent)]
    Database(#[from] crate::database::DatabaseError),

    /// A command (or option) that reads or writes revision files, run by a binary that embeds
    /// its revisions.
    #[error("`{what}` works on revision files, but this program embeds its revisions; run it with the `aludel` command in the project instead")]
    Embedded {
        /// The command or option, e.g. `revision` or `--versions`.
        what: String,
    },
}

fn not_one(target: &str, revisions: &[String], command: &str) -> String {
    if revisions.is_empty() {
        format!(
            "'{target}' names no revision (it is the empty state before the first revision); `{command}` takes one revision"
        )
    } else {
        format!(
            "'{target}' names {} revisions ({}); `{command}` takes one revision: name one of them",
            revisions.len(),
            revisions.join(", ")
        )
    }
}

impl CliError {
    /// What goes to stdout before the error is shown (the report of `check --schema --format
    /// json` and of a fleet run), taken out; empty for other errors.
    pub fn take_stdout(&mut self) -> String {
        match self {
            CliError::SchemaDiffers { stdout, .. } | CliError::WithOutput { stdout, .. } => {
                std::mem::take(stdout)
            }
            _ => String::new(),
        }
    }

    /// The exit code: 0 when stdout was closed early (`aludel history | head`), 1 otherwise (a
    /// command line that does not parse included).
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Output(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {
                ExitCode::SUCCESS
            }
            _ => ExitCode::from(1),
        }
    }

    /// The text for stderr, without a trailing newline: `error: <message>`. Diagnostics and
    /// clap's messages carry their own `error:` prefixes; a closed stdout prints nothing.
    pub fn report(&self) -> String {
        match self {
            CliError::Usage(_) | CliError::Invalid(_) => self.to_string(),
            CliError::Output(err) if err.kind() == std::io::ErrorKind::BrokenPipe => String::new(),
            _ => format!("error: {self}"),
        }
    }
}

impl From<Diagnostics> for CliError {
    fn from(diagnostics: Diagnostics) -> Self {
        CliError::Invalid(diagnostics)
    }
}
