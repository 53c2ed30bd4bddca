//! The revision file formats: SQL (`.sql`) and Rust (`.rs`).
//!
//! ```sql
//! -- revision: 3f2a9c1b7d4e
//! -- down_revision: 9c0de4ab12ff
//! -- message: add users table
//! -- create_date: 2026-11-22T10:30:00Z
//!
//! -- upgrade
//! CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
//!
//! -- downgrade
//! DROP TABLE users;
//! ```
//!
//! Rules, all enforced with an error that points at the line and column:
//! - A leading UTF-8 byte-order mark is ignored; CRLF line endings are read as LF. Any byte
//!   sequence that is not UTF-8 is an error.
//! - The header is the block of consecutive `-- key: value` lines at the top of the file (blank
//!   lines before it are allowed). Keys: `revision` (required), `down_revision` (required; empty
//!   for a base, comma-separated for a merge), `branch_labels`, `depends_on` (comma-separated),
//!   `message`, `create_date`, `transactional` (`true` or `false`, default `true`). An unknown or
//!   repeated key is an error; so is a header key written further down, where it would be
//!   ignored.
//! - Between the header and `-- upgrade` only blank lines and SQL comments may stand.
//! - A line `-- upgrade` starts the upgrade SQL; a line `-- downgrade` after it starts the
//!   downgrade SQL. `-- upgrade` is required. Without `-- downgrade` the revision is
//!   irreversible. Each marker appears at most once; near misses (`--upgrade`, `-- Upgrade`)
//!   are errors rather than SQL comments.
//! - Revision ids are 1 to 32 characters of `[A-Za-z0-9_]` (they must fit Alembic's
//!   `version_num VARCHAR(32)`); branch labels are `[A-Za-z0-9_.-]`. Neither may be `head`,
//!   `heads` or `base`.
//!
//! A Rust revision's header is its leading `//! key: value` lines, with the same keys and rules;
//! the rest of the file is Rust, which embeds into the crate that embeds the history. It is
//! read here without compiling it: it must declare a top-level `fn upgrade` and may declare a
//! top-level `fn downgrade` (without one the revision is irreversible); the compiler checks
//! their signatures where the history is embedded.
//!
//! ```rust,ignore
//! //! revision: 4b1c2d3e4f50
//! //! down_revision: 3f2a9c1b7d4e
//! //! message: add email, backfilled from the name
//!
//! use aludel::op::Op;
//!
//! pub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {
//!     op.execute("ALTER TABLE users ADD COLUMN email TEXT")?;
//!     op.execute("UPDATE users SET email = name || '@example.com'")
//! }
//!
//! pub fn downgrade(op: &mut Op<'_>) -> aludel::Result<()> {
//!     op.execute("ALTER TABLE users DROP COLUMN email")
//! }
//! ```

use crate::checksum::{checksum, strip_bom};
use crate::diagnostic::{nearest, Diagnostic, Location};

/// The header keys a revision file may use.
pub const HEADER_KEYS: [&str; 7] = [
    "revision",
    "down_revision",
    "branch_labels",
    "depends_on",
    "message",
    "create_date",
    "transactional",
];

/// Words with a meaning in targets, which therefore cannot name a revision or a branch.
pub const RESERVED_WORDS: [&str; 3] = ["head", "heads", "base"];

/// The longest revision id that fits Alembic's `version_num VARCHAR(32)`.
pub const MAX_ID_LEN: usize = 32;

/// What a revision file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevisionKind {
    /// An SQL file (`.sql`): it runs its [`Sections`] (see [`parse_revision_file`]).
    Sql,
    /// A Rust file (`.rs`): its `upgrade` and `downgrade` functions run only where the history
    /// is embedded; its [`Sections`] are empty, and [`Revision::reversible`] says whether the
    /// file declares `fn downgrade`.
    Rust,
}

/// One revision: its header and where it came from (what it runs is the runtime's: see
/// [`Sections`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The revision id (`-- revision:`).
    pub id: String,
    /// The parents (`-- down_revision:`); empty for a base, several for a merge.
    pub down_revisions: Vec<String>,
    /// Branch labels carried by this revision.
    pub branch_labels: Vec<String>,
    /// Revisions or branch labels this revision depends on without descending from them.
    pub depends_on: Vec<String>,
    /// The message; empty when the file has none.
    pub message: String,
    /// The creation date as written, if any.
    pub create_date: Option<String>,
    /// Whether the upgrade and downgrade SQL run inside a transaction.
    pub transactional: bool,
    /// What the file is written in.
    pub kind: RevisionKind,
    /// Whether the revision can be downgraded: it has a `-- downgrade` section, or a Rust
    /// revision's `fn downgrade`.
    pub reversible: bool,
    /// The file's checksum (see [`crate::checksum`]).
    pub checksum: String,
    /// Where the revision was read from.
    pub source: Source,
}

/// Where a revision was read from, with the lines of its header keys, so that graph errors can
/// point at the exact line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    /// The file, as shown to people (relative to the project).
    pub path: String,
    /// Line of `-- revision:`.
    pub revision_line: u32,
    /// Line of `-- down_revision:`.
    pub down_revision_line: u32,
    /// Line of `-- branch_labels:` (0 when absent).
    pub branch_labels_line: u32,
    /// Line of `-- depends_on:` (0 when absent).
    pub depends_on_line: u32,
    /// First line of the upgrade SQL (a Rust revision: the line of `fn upgrade`).
    pub upgrade_line: u32,
    /// First line of the downgrade SQL (a Rust revision: the line of `fn downgrade`; 0 when
    /// absent).
    pub downgrade_line: u32,
}

impl Source {
    /// The location of a line of this file.
    pub fn at(&self, line: u32) -> Location {
        Location::new(self.path.clone(), line, 0)
    }
}

impl Revision {
    /// A revision built in memory (tests, imports, tools): no SQL, a synthetic source path.
    pub fn new(id: impl Into<String>, down_revisions: &[&str]) -> Self {
        let id = id.into();
        Revision {
            source: Source {
                path: format!("<{id}>"),
                revision_line: 1,
                down_revision_line: 2,
                ..Source::default()
            },
            id,
            down_revisions: down_revisions.iter().map(|s| s.to_string()).collect(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            message: String::new(),
            create_date: None,
            transactional: true,
            kind: RevisionKind::Sql,
            reversible: true,
            checksum: checksum(b""),
        }
    }

    /// Adds branch labels (builder style, for revisions built in memory).
    #[must_use]
    pub fn labels(mut self, labels: &[&str]) -> Self {
        self.branch_labels = labels.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Adds dependencies (builder style, for revisions built in memory).
    #[must_use]
    pub fn depends(mut self, depends_on: &[&str]) -> Self {
        self.depends_on = depends_on.iter().map(|s| s.to_string()).collect();
        self
    }

    /// True when the revision can be downgraded.
    pub fn is_reversible(&self) -> bool {
        self.reversible
    }
}

/// What an SQL revision file runs: its `-- upgrade` and `-- downgrade` sections. The graph
/// holds what a revision is; the runtime runs its sections (or, for a Rust revision, the
/// functions the macro compiles), so they are returned beside the [`Revision`], not in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sections {
    /// The upgrade SQL; empty for a Rust revision. In a project of several databases, the
    /// section that runs on every database (empty when the file has none).
    pub upgrade: String,
    /// The downgrade SQL; `None` for an irreversible revision and for a Rust revision. In a
    /// project of several databases, the section that runs on every database.
    pub downgrade: Option<String>,
    /// The sections that name a database (`-- upgrade <name>`, `-- downgrade <name>`), in the
    /// file's order.
    pub named: Vec<NamedSection>,
}

/// A section that names one of several databases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSection {
    /// The database it names.
    pub database: String,
    /// `true` for `-- upgrade <name>`, `false` for `-- downgrade <name>`.
    pub upgrade: bool,
    /// Its SQL.
    pub sql: String,
    /// The line of its marker.
    pub line: u32,
}

/// The named sections of a file as one text, for the macros to embed and the runtime to read
/// back with [`decode_named`]: per section `u|d <line> <database> <length>` and a new line,
/// then its SQL.
pub fn encode_named(named: &[NamedSection]) -> String {
    let mut out = String::new();
    for section in named {
        let kind = if section.upgrade { 'u' } else { 'd' };
        out.push_str(&format!(
            "{kind} {} {} {}\n{}",
            section.line,
            section.database,
            section.sql.len(),
            section.sql
        ));
    }
    out
}

/// The sections [`encode_named`] wrote; what does not read back is left out.
pub fn decode_named(mut text: &str) -> Vec<NamedSection> {
    let mut out = Vec::new();
    while let Some((head, rest)) = text.split_once('\n') {
        let mut parts = head.split(' ');
        let (Some(kind), Some(line), Some(database), Some(length), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            break;
        };
        let (Ok(line), Ok(length)) = (line.parse::<u32>(), length.parse::<usize>()) else {
            break;
        };
        let Some(sql) = rest.get(..length) else {
            break;
        };
        out.push(NamedSection {
            database: database.to_string(),
            upgrade: kind == "u",
            sql: sql.to_string(),
            line,
        });
        text = &rest[length..];
    }
    out
}

/// What a revision runs on one database of several: the sections for every database, then
/// the database's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSql {
    /// The upgrade SQL (empty where no section applies).
    pub upgrade: String,
    /// The downgrade SQL; `None` where an upgrade section applies but no downgrade section
    /// does (irreversible on this database); empty where nothing applies at all.
    pub downgrade: Option<String>,
}

impl Sections {
    /// The names of the databases the file's sections name, each once, in the file's order.
    pub fn databases(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for section in &self.named {
            if !names.contains(&section.database.as_str()) {
                names.push(&section.database);
            }
        }
        names
    }

    /// What runs on `database`: [`Sections::upgrade`] and [`Sections::downgrade`] (the sections
    /// for every database) followed by the database's own sections.
    pub fn for_database(&self, database: &str) -> DatabaseSql {
        let own = |upgrade: bool| {
            self.named
                .iter()
                .find(|s| s.upgrade == upgrade && s.database == database)
                .map(|s| s.sql.as_str())
        };
        let join = |every: Option<&str>, own: Option<&str>| match (every, own) {
            (Some(a), Some(b)) if !a.is_empty() => Some(format!("{a}{b}")),
            (Some(a), None) => Some(a.to_string()),
            (_, Some(b)) => Some(b.to_string()),
            (None, None) => None,
        };
        let every_upgrade = Some(self.upgrade.as_str()).filter(|s| !s.is_empty());
        let upgrade = join(every_upgrade, own(true));
        let downgrade = join(self.downgrade.as_deref(), own(false));
        match (upgrade, downgrade) {
            (None, downgrade) => DatabaseSql {
                upgrade: String::new(),
                downgrade: Some(downgrade.unwrap_or_default()),
            },
            (Some(upgrade), downgrade) => DatabaseSql { upgrade, downgrade },
        }
    }
}

/// Whether `s` is a valid revision id.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !RESERVED_WORDS.contains(&s)
}

/// Whether `s` is a valid branch label.
pub fn is_valid_label(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !RESERVED_WORDS.contains(&s)
}

/// Parses one revision file: a Rust revision when `path` ends in `.rs`, else SQL. `path` is
/// the file as shown in diagnostics.
///
/// Returns every problem of the file at once.
pub fn parse_revision(path: &str, bytes: &[u8]) -> Result<Revision, Vec<Diagnostic>> {
    parse_revision_file(path, bytes).map(|(revision, _)| revision)
}

/// [`parse_revision`], with the file's SQL sections.
pub fn parse_revision_file(
    path: &str,
    bytes: &[u8],
) -> Result<(Revision, Sections), Vec<Diagnostic>> {
    let sum = checksum(bytes);
    let bytes = strip_bom(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let valid = &bytes[..err.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&valid[line_start..])
                .chars()
                .count()
                + 1;
            return Err(vec![Diagnostic::at(
                Location::new(path, to_u32(line), to_u32(column)),
                "revision file is not valid UTF-8",
            )
            .with_help("save the file as UTF-8")]);
        }
    };
    let text = text.replace("\r\n", "\n");
    let kind = if path.ends_with(".rs") {
        RevisionKind::Rust
    } else {
        RevisionKind::Sql
    };
    Parser::new(path, kind).parse(&text, sum)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

struct Parser<'p> {
    path: &'p str,
    kind: RevisionKind,
    /// What starts a header line: `--` (SQL) or `//!` (Rust).
    prefix: &'static str,
    errors: Vec<Diagnostic>,
}

/// A `-- key: value` line.
struct HeaderLine<'t> {
    key: &'t str,
    value: &'t str,
    value_column: u32,
}

/// Splits `-- key: value` (`prefix` is `--`, or `//!` in a Rust revision); `None` when the
/// line is not of that shape.
fn header_line<'t>(line: &'t str, prefix: &str) -> Option<HeaderLine<'t>> {
    let rest = line.strip_prefix(prefix)?;
    let trimmed = rest.trim_start();
    let key_len = trimmed
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if key_len == 0 {
        return None;
    }
    let key = &trimmed[..key_len];
    let after_key = trimmed[key_len..].trim_start();
    let after_colon = after_key.strip_prefix(':')?;
    let value = after_colon.trim();
    let value_offset = line.len() - after_colon.trim_start().len();
    let value_column = to_u32(line[..value_offset].chars().count() + 1);
    Some(HeaderLine {
        key,
        value,
        value_column,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Upgrade,
    Downgrade,
}

impl Marker {
    /// The marker as it must be written.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Marker::Upgrade => "-- upgrade",
            Marker::Downgrade => "-- downgrade",
        }
    }
}

/// Recognises `-- upgrade <database>` and `-- downgrade <database>`: a section for one of
/// several databases (a name of letters, digits, `_` and `-`; see
/// [`crate::config::DatabaseConfig`]).
pub(crate) fn named_marker(line: &str) -> Option<(Marker, &str)> {
    let exact = line.trim_end();
    let (marker, rest) = if let Some(rest) = exact.strip_prefix("-- upgrade ") {
        (Marker::Upgrade, rest)
    } else if let Some(rest) = exact.strip_prefix("-- downgrade ") {
        (Marker::Downgrade, rest)
    } else {
        return None;
    };
    let name = rest.trim_start();
    crate::config::is_valid_database_name(name).then_some((marker, name))
}

/// Recognises `-- upgrade` and `-- downgrade`. `Err` for a near miss.
pub(crate) fn marker(line: &str) -> Option<Result<Marker, Marker>> {
    let exact = line.trim_end();
    if exact == "-- upgrade" {
        return Some(Ok(Marker::Upgrade));
    }
    if exact == "-- downgrade" {
        return Some(Ok(Marker::Downgrade));
    }
    // Only a short comment line can be a near miss; SQL lines return here without allocating.
    let trimmed = line.trim();
    if !trimmed.starts_with("--") || trimmed.len() > 24 {
        return None;
    }
    let squashed: String = line
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    match squashed.as_str() {
        "--upgrade" | "--upgrade:" => Some(Err(Marker::Upgrade)),
        "--downgrade" | "--downgrade:" => Some(Err(Marker::Downgrade)),
        _ => None,
    }
}

impl<'p> Parser<'p> {
    fn new(path: &'p str, kind: RevisionKind) -> Self {
        Parser {
            path,
            kind,
            prefix: match kind {
                RevisionKind::Sql => "--",
                RevisionKind::Rust => "//!",
            },
            errors: Vec::new(),
        }
    }

    /// The column of a header key (after the prefix and a space).
    fn key_column(&self) -> u32 {
        to_u32(self.prefix.len() + 2)
    }

    fn error(&mut self, line: usize, column: u32, message: String, help: Option<String>) {
        let mut diagnostic =
            Diagnostic::at(Location::new(self.path, to_u32(line), column), message);
        diagnostic.help = help;
        self.errors.push(diagnostic);
    }

    fn parse(
        mut self,
        text: &str,
        checksum: String,
    ) -> Result<(Revision, Sections), Vec<Diagnostic>> {
        let lines: Vec<&str> = text.split('\n').collect();
        let mut revision = Revision {
            id: String::new(),
            down_revisions: Vec::new(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            message: String::new(),
            create_date: None,
            transactional: true,
            reversible: false,
            kind: self.kind,
            checksum,
            source: Source {
                path: self.path.to_string(),
                ..Source::default()
            },
        };

        // The header: the first block of consecutive `-- key: value` lines.
        let mut i = 0;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        let mut seen: Vec<(&str, usize)> = Vec::new();
        let mut transactional_line = 0;
        while i < lines.len() {
            let raw = lines[i];
            if self.kind == RevisionKind::Sql && marker(raw).is_some() {
                break;
            }
            let Some(header) = header_line(raw, self.prefix) else {
                break;
            };
            let line_no = i + 1;
            i += 1;
            let key = header.key;
            if !HEADER_KEYS.contains(&key) {
                let help = match nearest(key, HEADER_KEYS) {
                    Some(near) => format!(
                        "did you mean `{near}`? The header keys are: {}",
                        HEADER_KEYS.join(", ")
                    ),
                    None => format!("the header keys are: {}", HEADER_KEYS.join(", ")),
                };
                self.error(
                    line_no,
                    self.key_column(),
                    format!("unknown header key `{key}`"),
                    Some(help),
                );
                continue;
            }
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                let first = *first;
                self.error(
                    line_no,
                    self.key_column(),
                    format!("header key `{key}` appears twice (first on line {first})"),
                    Some("keep one of the two lines".to_string()),
                );
                continue;
            }
            seen.push((key, line_no));
            let value = header.value;
            let col = header.value_column;
            let line32 = to_u32(line_no);
            match key {
                "revision" => {
                    revision.source.revision_line = line32;
                    if value.is_empty() {
                        self.error(
                            line_no,
                            col,
                            "`revision` is empty".into(),
                            Some("give the revision an id, e.g. 12 hex digits".into()),
                        );
                    } else if !is_valid_id(value) {
                        self.error(
                            line_no,
                            col,
                            format!("invalid revision id `{value}`"),
                            Some(id_help()),
                        );
                    }
                    revision.id = value.to_string();
                }
                "down_revision" => {
                    revision.source.down_revision_line = line32;
                    if matches!(value, "None" | "none" | "null" | "()") {
                        self.error(
                            line_no,
                            col,
                            format!("`down_revision: {value}` is not a revision id"),
                            Some(
                                "for a base revision leave the value empty: `-- down_revision:`"
                                    .into(),
                            ),
                        );
                    } else {
                        revision.down_revisions = self.list(
                            line_no,
                            col,
                            "down_revision",
                            value,
                            is_valid_id,
                            &id_help(),
                        );
                    }
                }
                "branch_labels" => {
                    revision.source.branch_labels_line = line32;
                    revision.branch_labels = self.list(
                        line_no,
                        col,
                        "branch_labels",
                        value,
                        is_valid_label,
                        &label_help(),
                    );
                }
                "depends_on" => {
                    revision.source.depends_on_line = line32;
                    revision.depends_on = self.list(
                        line_no,
                        col,
                        "depends_on",
                        value,
                        |s| is_valid_id(s) || is_valid_label(s),
                        "depends_on names revision ids or branch labels, separated by commas",
                    );
                }
                "message" => revision.message = value.to_string(),
                "create_date" => {
                    revision.create_date = (!value.is_empty()).then(|| value.to_string());
                }
                "transactional" => {
                    transactional_line = line_no;
                    match value {
                        "true" => revision.transactional = true,
                        "false" => revision.transactional = false,
                        _ => self.error(
                            line_no,
                            col,
                            format!("`transactional` must be `true` or `false`, not `{value}`"),
                            None,
                        ),
                    }
                }
                _ => {}
            }
        }
        let _ = transactional_line;
        let header_end = i;

        let p = self.prefix;
        if revision.source.revision_line == 0 {
            self.error(
                header_end.min(lines.len().saturating_sub(1)) + 1,
                0,
                format!("missing `{p} revision:` header line"),
                Some(format!("start the file with `{p} revision: <id>` and `{p} down_revision: <parent id>` lines")),
            );
        }
        if revision.source.down_revision_line == 0 {
            self.error(
                header_end.min(lines.len().saturating_sub(1)) + 1,
                0,
                format!("missing `{p} down_revision:` header line"),
                Some(format!(
                    "add `{p} down_revision: <parent id>` to the header (empty for a base revision)"
                )),
            );
        }
        let mut sections = Sections::default();
        if self.kind == RevisionKind::Rust {
            self.rust_body(&lines, header_end, &mut revision);
            return if self.errors.is_empty() {
                Ok((revision, sections))
            } else {
                Err(self.errors)
            };
        }

        // The body: a preamble of comments, then the sections.
        let mut current: Option<Marker> = None;
        let mut upgrade: Option<(usize, Vec<&str>)> = None;
        let mut downgrade: Option<(usize, Vec<&str>)> = None;
        // Sections that name a database: (marker, name, marker line, body).
        let mut named: Vec<(Marker, &str, usize, Vec<&str>)> = Vec::new();
        // Inside a named section (an index into `named`).
        let mut in_named: Option<usize> = None;
        for (index, raw) in lines.iter().enumerate().skip(header_end) {
            let line_no = index + 1;
            if let Some((which, name)) = named_marker(raw) {
                let any_downgrade =
                    downgrade.is_some() || named.iter().any(|(m, ..)| *m == Marker::Downgrade);
                if let Some((_, _, first, _)) =
                    named.iter().find(|(m, n, ..)| *m == which && *n == name)
                {
                    let first = *first;
                    self.error(
                        line_no,
                        1,
                        format!(
                            "second `{} {name}` marker (the first is on line {first})",
                            which.text()
                        ),
                        Some(format!(
                            "a revision has one {} section per database",
                            match which {
                                Marker::Upgrade => "upgrade",
                                Marker::Downgrade => "downgrade",
                            }
                        )),
                    );
                } else if which == Marker::Upgrade && any_downgrade {
                    self.error(
                        line_no,
                        1,
                        format!("`-- upgrade {name}` after a downgrade section"),
                        Some("put the upgrade sections first".into()),
                    );
                } else if which == Marker::Downgrade && upgrade.is_none() && named.is_empty() {
                    self.error(
                        line_no,
                        1,
                        format!("`-- downgrade {name}` before any upgrade section"),
                        Some("put the upgrade sections first".into()),
                    );
                }
                named.push((which, name, line_no, Vec::new()));
                in_named = Some(named.len() - 1);
                current = Some(which);
                continue;
            }
            let found = match marker(raw) {
                Some(Err(which)) => {
                    let exact = which.text();
                    self.error(
                        line_no,
                        1,
                        format!(
                            "`{}` looks like a section marker but is not written `{exact}`",
                            raw.trim()
                        ),
                        Some(format!(
                            "write the marker exactly as `{exact}` on a line of its own"
                        )),
                    );
                    // Read on as if it were written right, to avoid follow-on errors.
                    Some(Ok(which))
                }
                other => other,
            };
            match found {
                Some(Ok(Marker::Upgrade)) if !named.is_empty() => {
                    self.error(
                        line_no,
                        1,
                        "`-- upgrade` after a section that names a database".into(),
                        Some("put the section for every database first, then the sections that name one".into()),
                    );
                    continue;
                }
                Some(Ok(Marker::Downgrade))
                    if named.iter().any(|(m, ..)| *m == Marker::Downgrade) =>
                {
                    self.error(
                        line_no,
                        1,
                        "`-- downgrade` after a downgrade section that names a database".into(),
                        Some("put the section for every database first, then the sections that name one".into()),
                    );
                    continue;
                }
                Some(Ok(Marker::Upgrade)) => {
                    if let Some((first, _)) = &upgrade {
                        let first = *first;
                        self.error(
                            line_no,
                            1,
                            format!("second `-- upgrade` marker (the first is on line {first})"),
                            Some("a revision has one upgrade section".into()),
                        );
                    } else if downgrade.is_some() {
                        self.error(
                            line_no,
                            1,
                            "`-- upgrade` after `-- downgrade`".into(),
                            Some("put the upgrade section first".into()),
                        );
                    } else {
                        upgrade = Some((line_no, Vec::new()));
                        current = Some(Marker::Upgrade);
                    }
                    in_named = None;
                    continue;
                }
                Some(Ok(Marker::Downgrade)) => {
                    if let Some((first, _)) = &downgrade {
                        let first = *first;
                        self.error(
                            line_no,
                            1,
                            format!("second `-- downgrade` marker (the first is on line {first})"),
                            Some("a revision has one downgrade section".into()),
                        );
                    } else if upgrade.is_none() {
                        self.error(
                            line_no,
                            1,
                            "`-- downgrade` before `-- upgrade`".into(),
                            Some("put the upgrade section first".into()),
                        );
                        downgrade = Some((line_no, Vec::new()));
                        current = Some(Marker::Downgrade);
                    } else {
                        downgrade = Some((line_no, Vec::new()));
                        current = Some(Marker::Downgrade);
                    }
                    in_named = None;
                    continue;
                }
                Some(Err(_)) | None => {}
            }
            if let Some(i) = in_named {
                if let Some((_, _, _, body)) = named.get_mut(i) {
                    body.push(raw);
                }
                continue;
            }
            match current {
                Some(Marker::Upgrade) => {
                    if let Some((_, body)) = upgrade.as_mut() {
                        body.push(raw);
                    }
                }
                Some(Marker::Downgrade) => {
                    if let Some((_, body)) = downgrade.as_mut() {
                        body.push(raw);
                    }
                }
                None => {
                    let trimmed = raw.trim();
                    if trimmed.is_empty() {
                        continue;
                    }
                    if let Some(header) = header_line(trimmed, "--") {
                        if HEADER_KEYS.contains(&header.key) {
                            self.error(
                                line_no,
                                1,
                                format!("header line `{trimmed}` is separated from the header"),
                                Some("header lines must be consecutive at the top of the file; move it up".into()),
                            );
                            continue;
                        }
                    }
                    if !trimmed.starts_with("--") {
                        self.error(
                            line_no,
                            1,
                            "SQL before the `-- upgrade` marker".into(),
                            Some("start the upgrade SQL with a line `-- upgrade`".into()),
                        );
                        // Report this only once.
                        current = Some(Marker::Upgrade);
                        upgrade = Some((0, Vec::new()));
                    }
                }
            }
        }
        let has_named_upgrade = named.iter().any(|(m, ..)| *m == Marker::Upgrade);
        match upgrade {
            None if has_named_upgrade => {}
            None => self.error(
                lines.len() - usize::from(lines.len() > 1 && lines.last() == Some(&"")),
                0,
                "missing `-- upgrade` section".into(),
                Some(
                    "add a line `-- upgrade` followed by the SQL that applies this revision".into(),
                ),
            ),
            Some((line, body)) => {
                let (sql, first) = section(&body, line);
                sections.upgrade = sql;
                revision.source.upgrade_line = first;
            }
        }
        if let Some((line, body)) = downgrade {
            let (sql, first) = section(&body, line);
            sections.downgrade = Some(sql);
            revision.reversible = true;
            revision.source.downgrade_line = first;
        }
        for (which, name, line, body) in named {
            let (sql, first) = section(&body, line);
            if which == Marker::Downgrade {
                revision.reversible = true;
            }
            if revision.source.upgrade_line == 0 && which == Marker::Upgrade {
                revision.source.upgrade_line = first;
            }
            sections.named.push(NamedSection {
                database: name.to_string(),
                upgrade: which == Marker::Upgrade,
                sql,
                line: to_u32(line),
            });
        }

        if self.errors.is_empty() {
            Ok((revision, sections))
        } else {
            Err(self.errors)
        }
    }

    /// The body of a Rust revision: header keys further down are errors, and the file must
    /// declare a top-level `fn upgrade` (and may declare `fn downgrade`).
    fn rust_body(&mut self, lines: &[&str], header_end: usize, revision: &mut Revision) {
        for (index, raw) in lines.iter().enumerate().skip(header_end) {
            let trimmed = raw.trim();
            if let Some(header) = header_line(trimmed, "//!") {
                if HEADER_KEYS.contains(&header.key) {
                    self.error(
                        index + 1,
                        1,
                        format!("header line `{trimmed}` is separated from the header"),
                        Some(
                            "header lines must be consecutive at the top of the file; move it up"
                                .into(),
                        ),
                    );
                }
            }
        }
        let body_start = to_u32(header_end);
        let body = lines[header_end.min(lines.len())..].join("\n");
        let functions = match top_level_functions(&body) {
            Ok(functions) => functions,
            Err((line, message)) => {
                self.error((body_start + line) as usize, 0, message, None);
                return;
            }
        };
        for name in ["upgrade", "downgrade"] {
            let found: Vec<u32> = functions
                .iter()
                .filter(|(f, _)| f == name)
                .map(|(_, line)| body_start + line)
                .collect();
            if let [first, second, ..] = found[..] {
                self.error(
                    second as usize,
                    0,
                    format!("second `fn {name}` (the first is on line {first})"),
                    Some(format!("a Rust revision has one `{name}` function")),
                );
            }
            match (name, found.first()) {
                ("upgrade", Some(&line)) => revision.source.upgrade_line = line,
                ("upgrade", None) => self.error(
                    lines.len() - usize::from(lines.len() > 1 && lines.last() == Some(&"")),
                    0,
                    "missing `fn upgrade`".into(),
                    Some(format!("a Rust revision declares `{RUST_UPGRADE}` (and, to be reversible, `{RUST_DOWNGRADE}`)")),
                ),
                (_, Some(&line)) => {
                    revision.reversible = true;
                    revision.source.downgrade_line = line;
                }
                _ => {}
            }
        }
    }

    /// Parses a comma-separated list, reporting empty and invalid elements and repeats.
    fn list(
        &mut self,
        line: usize,
        column: u32,
        key: &str,
        value: &str,
        valid: impl Fn(&str) -> bool,
        help: &str,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if value.is_empty() {
            return out;
        }
        let mut offset = 0;
        for part in value.split(',') {
            let item = part.trim();
            let item_column = column
                + to_u32(value[..offset].chars().count() + (part.len() - part.trim_start().len()));
            offset += part.len() + 1;
            if item.is_empty() {
                self.error(
                    line,
                    item_column,
                    format!("empty entry in `{key}`"),
                    Some("separate entries with single commas".into()),
                );
            } else if !valid(item) {
                self.error(
                    line,
                    item_column,
                    format!("invalid entry `{item}` in `{key}`"),
                    Some(help.to_string()),
                );
            } else if out.iter().any(|o| o == item) {
                self.error(
                    line,
                    item_column,
                    format!("`{item}` is listed twice in `{key}`"),
                    Some("list it once".into()),
                );
            } else {
                out.push(item.to_string());
            }
        }
        out
    }
}

/// The signature of a Rust revision's `upgrade`.
pub const RUST_UPGRADE: &str = "pub fn upgrade(op: &mut aludel::op::Op<'_>) -> aludel::Result<()>";
/// The signature of a Rust revision's `downgrade`.
pub const RUST_DOWNGRADE: &str =
    "pub fn downgrade(op: &mut aludel::op::Op<'_>) -> aludel::Result<()>";

/// The functions declared at the top level of Rust source (outside any block: not in an
/// `impl`, a `mod { }` or another function), with the 1-based line of each name, read by a
/// scan that skips comments, strings and character literals. `Err` for a comment or literal
/// that never ends (line, message).
fn top_level_functions(text: &str) -> Result<Vec<(String, u32)>, (u32, String)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1u32;
    let mut depth = 0i64;
    let mut after_fn = false;
    // Skips to the end of a quoted literal that starts at `start` (just past its opening
    // quote), counting lines; `hashes` closing `#` for a raw string, `None` for escapes.
    let skip_quoted = |i: &mut usize, line: &mut u32, hashes: Option<usize>, quote: u8| -> bool {
        while *i < b.len() {
            let c = b[*i];
            if c == b'\n' {
                *line += 1;
            }
            if hashes.is_none() && c == b'\\' {
                if b.get(*i + 1) == Some(&b'\n') {
                    *line += 1;
                }
                *i += 2;
                continue;
            }
            if c == quote {
                let n = hashes.unwrap_or(0);
                if b.len() >= *i + 1 + n && b[*i + 1..*i + 1 + n].iter().all(|&h| h == b'#') {
                    *i += 1 + n;
                    return true;
                }
            }
            *i += 1;
        }
        false
    };
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let start = line;
            let mut nested = 0usize;
            loop {
                if i + 1 >= b.len() {
                    return Err((
                        start,
                        "this block comment never ends (`*/` is missing)".into(),
                    ));
                }
                match (b[i], b[i + 1]) {
                    (b'/', b'*') => {
                        nested += 1;
                        i += 2;
                    }
                    (b'*', b'/') => {
                        nested -= 1;
                        i += 2;
                        if nested == 0 {
                            break;
                        }
                    }
                    (b'\n', _) => {
                        line += 1;
                        i += 1;
                    }
                    _ => i += 1,
                }
            }
            after_fn = false;
        } else if c == b'"' {
            let start = line;
            i += 1;
            if !skip_quoted(&mut i, &mut line, None, b'"') {
                return Err((start, "this string never ends (`\"` is missing)".into()));
            }
            after_fn = false;
        } else if c == b'\'' {
            // A character literal ('x', '\n', '\u{..}', 'é') or a lifetime ('a).
            let rest = &text[i + 1..];
            let mut chars = rest.char_indices();
            match chars.next() {
                Some((_, '\\')) => {
                    i += 1;
                    if !skip_quoted(&mut i, &mut line, None, b'\'') {
                        return Err((line, "this character literal never ends".into()));
                    }
                }
                Some((_, ch)) if rest[ch.len_utf8()..].starts_with('\'') => {
                    i += 1 + ch.len_utf8() + 1;
                }
                _ => i += 1,
            }
            after_fn = false;
        } else if c == b'_' || c.is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            let word = &text[start..i];
            // Raw and byte strings: r"..", r#".."#, b"..", br#".."#; b'x' is a byte.
            let raw = matches!(word, "r" | "br" | "cr");
            if (raw || matches!(word, "b" | "c")) && i < b.len() && matches!(b[i], b'"' | b'#') {
                let hashes = b[i..].iter().take_while(|&&h| h == b'#').count();
                if raw && b.get(i + hashes) == Some(&b'"') {
                    let start_line = line;
                    i += hashes + 1;
                    if !skip_quoted(&mut i, &mut line, Some(hashes), b'"') {
                        return Err((start_line, "this raw string never ends".into()));
                    }
                    after_fn = false;
                    continue;
                }
                if !raw && b[i] == b'"' {
                    let start_line = line;
                    i += 1;
                    if !skip_quoted(&mut i, &mut line, None, b'"') {
                        return Err((
                            start_line,
                            "this string never ends (`\"` is missing)".into(),
                        ));
                    }
                    after_fn = false;
                    continue;
                }
            }
            if depth == 0 && after_fn {
                out.push((word.to_string(), line));
            }
            after_fn = depth == 0 && word == "fn";
        } else {
            match c {
                b'{' => depth += 1,
                b'}' => depth -= 1,
                _ => {}
            }
            after_fn = false;
            i += 1;
        }
    }
    Ok(out)
}

fn id_help() -> String {
    format!(
        "revision ids are 1 to {MAX_ID_LEN} characters of A-Z, a-z, 0-9 and _, and not `head`, `heads` or `base`"
    )
}

fn label_help() -> String {
    "branch labels are characters of A-Z, a-z, 0-9, _, . and -, and not `head`, `heads` or `base`"
        .to_string()
}

/// Joins a section's lines without its leading and trailing blank lines; returns the SQL and
/// the line number of its first line (of an empty section, the line after its marker where
/// the file has one, else the marker's own).
fn section(body: &[&str], marker_line: usize) -> (String, u32) {
    let start = body.iter().position(|l| !l.trim().is_empty());
    let end = body.iter().rposition(|l| !l.trim().is_empty());
    match (start, end) {
        (Some(start), Some(end)) => {
            let mut sql = body[start..=end].join("\n");
            sql.push('\n');
            (sql, to_u32(marker_line + 1 + start))
        }
        _ => (
            String::new(),
            to_u32(marker_line + usize::from(!body.is_empty())),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTI: &str = "-- revision: a1\n-- down_revision:\n\n-- upgrade\nCREATE TABLE common (id INTEGER);\n\n-- upgrade main\nCREATE TABLE users (id INTEGER);\n\n-- upgrade analytics\nCREATE TABLE events (id INTEGER);\n\n-- downgrade\nDROP TABLE common;\n\n-- downgrade main\nDROP TABLE users;\n";

    #[test]
    fn sections_that_name_a_database() {
        let (revision, sections) = parse_revision_file("v/a.sql", MULTI.as_bytes()).unwrap();
        assert_eq!(sections.upgrade, "CREATE TABLE common (id INTEGER);\n");
        assert_eq!(sections.databases(), ["main", "analytics"]);
        assert_eq!(sections.named[1].line, 10);
        assert!(revision.is_reversible());
        let main = sections.for_database("main");
        assert_eq!(
            main.upgrade,
            "CREATE TABLE common (id INTEGER);\nCREATE TABLE users (id INTEGER);\n"
        );
        assert_eq!(
            main.downgrade.as_deref(),
            Some("DROP TABLE common;\nDROP TABLE users;\n")
        );
        let analytics = sections.for_database("analytics");
        assert_eq!(
            analytics.upgrade,
            "CREATE TABLE common (id INTEGER);\nCREATE TABLE events (id INTEGER);\n"
        );
        assert_eq!(analytics.downgrade.as_deref(), Some("DROP TABLE common;\n"));
        // A database the file does not name runs the sections for every database.
        let other = sections.for_database("other");
        assert_eq!(other.upgrade, sections.upgrade);
        // Embedded and read back.
        assert_eq!(decode_named(&encode_named(&sections.named)), sections.named);
    }

    #[test]
    fn a_file_of_named_sections_only() {
        let text = "-- revision: a1\n-- down_revision:\n\n-- upgrade analytics\nCREATE TABLE events (id INTEGER);\n";
        let (revision, sections) = parse_revision_file("v/a.sql", text.as_bytes()).unwrap();
        assert!(!revision.is_reversible());
        assert_eq!(revision.source.upgrade_line, 5);
        // Irreversible where it runs; nothing to do either way elsewhere.
        assert_eq!(sections.for_database("analytics").downgrade, None);
        let main = sections.for_database("main");
        assert_eq!(
            (main.upgrade.as_str(), main.downgrade.as_deref()),
            ("", Some(""))
        );
    }

    #[test]
    fn named_sections_out_of_order_are_errors() {
        let errors = |text: &str| -> Vec<String> {
            match parse_revision_file("v/a.sql", text.as_bytes()) {
                Ok(_) => Vec::new(),
                Err(errors) => errors.iter().map(ToString::to_string).collect(),
            }
        };
        let head = "-- revision: a1\n-- down_revision:\n\n";
        assert_eq!(
            errors(&format!("{head}-- upgrade main\nSELECT 1;\n-- upgrade main\nSELECT 2;\n")),
            ["v/a.sql:6:1: second `-- upgrade main` marker (the first is on line 4)\n  = help: a revision has one upgrade section per database"]
        );
        assert_eq!(
            errors(&format!("{head}-- upgrade main\nSELECT 1;\n-- upgrade\nSELECT 2;\n")),
            ["v/a.sql:6:1: `-- upgrade` after a section that names a database\n  = help: put the section for every database first, then the sections that name one"]
        );
        assert_eq!(
            errors(&format!("{head}-- upgrade\nSELECT 1;\n-- downgrade main\nSELECT 2;\n-- upgrade analytics\nSELECT 3;\n")),
            ["v/a.sql:8:1: `-- upgrade analytics` after a downgrade section\n  = help: put the upgrade sections first"]
        );
        // A comment of several words is SQL, as before.
        assert!(errors(&format!(
            "{head}-- upgrade\n-- upgrade the data\nSELECT 1;\n"
        ))
        .is_empty());
    }

    const RUST: &str = "//! revision: 4b1c2d3e4f50\n//! down_revision: 3f2a9c1b7d4e\n//! message: add email, backfilled\n//! transactional: false\n\nuse aludel::op::Op;\n\npub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {\n    op.execute(\"SELECT '{'\")\n}\n\npub fn downgrade(op: &mut Op<'_>) -> aludel::Result<()> {\n    op.execute(\"SELECT 1\")\n}\n";

    fn rust_errors(text: &str) -> Vec<String> {
        match parse_revision("v/x.rs", text.as_bytes()) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn parses_a_rust_revision_without_compiling_it() {
        let (rev, sections) =
            parse_revision_file("v/x.rs", RUST.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(rev.kind, RevisionKind::Rust);
        assert_eq!(rev.id, "4b1c2d3e4f50");
        assert_eq!(rev.down_revisions, ["3f2a9c1b7d4e"]);
        assert_eq!(rev.message, "add email, backfilled");
        assert!(!rev.transactional);
        assert!(rev.is_reversible());
        assert_eq!(
            sections,
            Sections::default(),
            "the code is the macro's to compile"
        );
        assert_eq!(
            (rev.source.upgrade_line, rev.source.downgrade_line),
            (8, 12)
        );
        assert_eq!(rev.checksum, checksum(RUST.as_bytes()));
        // Without `fn downgrade` the revision is irreversible.
        let cut = &RUST[..RUST.find("pub fn downgrade").unwrap()];
        let rev = parse_revision("v/x.rs", cut.as_bytes()).unwrap();
        assert!(!rev.is_reversible());
        assert_eq!(rev.source.downgrade_line, 0);
    }

    #[test]
    fn the_rust_scan_never_panics_on_tricky_text() {
        // Quotes, raw-string prefixes, escapes, comment starts, braces and a multi-byte char,
        // in every short mix a small deterministic generator makes.
        let pieces = [
            "'", "\"", "r", "#", "b", "{", "}", "/", "*", "\\", "\n", "fn", " ", "upgrade", "é",
            "x",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..(state % 24) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            let lines = text.matches('\n').count() as u32 + 1;
            match top_level_functions(&text) {
                Ok(found) => assert!(found.iter().all(|(_, l)| *l <= lines), "{text:?}"),
                Err((line, _)) => assert!(line <= lines, "{text:?}"),
            }
        }
    }

    #[test]
    fn rust_headers_follow_the_sql_rules() {
        let e = rust_errors("//! revision: a\n//! down_revison:\n\npub fn upgrade() {}\n");
        assert!(
            e.iter().any(|m| m.contains("v/x.rs:2:5")
                && m.contains("unknown header key `down_revison`")
                && m.contains("did you mean `down_revision`")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.contains("missing `//! down_revision:` header line")),
            "{e:?}"
        );
        let e = rust_errors("//! revision: head\n//! down_revision:\n\npub fn upgrade() {}\n");
        assert!(
            e.iter().any(|m| m.contains("invalid revision id `head`")),
            "{e:?}"
        );
        let e = rust_errors(
            "//! revision: a\n//! down_revision:\n//!\n//! message: late\npub fn upgrade() {}\n",
        );
        assert!(
            e.iter()
                .any(|m| m.contains("v/x.rs:4:1") && m.contains("separated from the header")),
            "{e:?}"
        );
        // An SQL header in a Rust file is not a header.
        let e = rust_errors("-- revision: a\n-- down_revision:\npub fn upgrade() {}\n");
        assert!(
            e.iter()
                .any(|m| m.contains("missing `//! revision:` header line")),
            "{e:?}"
        );
    }

    #[test]
    fn rust_revisions_declare_a_top_level_upgrade() {
        let head = "//! revision: a\n//! down_revision:\n";
        let e = rust_errors(&format!("{head}\npub fn downgrade() {{}}\n"));
        assert!(
            e.iter()
                .any(|m| m.contains("missing `fn upgrade`") && m.contains(RUST_UPGRADE)),
            "{e:?}"
        );
        // Functions in comments, strings, raw strings, impls and modules do not count.
        let hidden = format!(
            "{head}// fn upgrade\n/* fn upgrade /* nested */ fn upgrade */\nconst A: &str = \"fn upgrade {{\";\nconst B: &str = r#\"fn upgrade \"{{\"#;\nconst C: char = '{{';\nstruct S;\nimpl S {{ fn upgrade(&self) {{}} }}\nmod m {{ pub fn upgrade() {{}} }}\nfn helper<'a>(x: &'a str) -> &'a str {{ x }}\n"
        );
        let e = rust_errors(&hidden);
        assert!(
            e.iter().any(|m| m.contains("missing `fn upgrade`")),
            "{e:?}"
        );
        let found = format!(
            "{hidden}pub(crate) fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {{ Ok(()) }}\n"
        );
        let rev = parse_revision("v/x.rs", found.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(rev.source.upgrade_line, 12);
        let twice = format!("{head}pub fn upgrade() {{}}\npub fn upgrade() {{}}\n");
        let e = rust_errors(&twice);
        assert!(
            e.iter().any(|m| m.contains("v/x.rs:4")
                && m.contains("second `fn upgrade` (the first is on line 3)")),
            "{e:?}"
        );
        let open = format!("{head}pub fn upgrade() {{}}\n/* never closed\n");
        let e = rust_errors(&open);
        assert!(
            e.iter()
                .any(|m| m.contains("v/x.rs:4") && m.contains("block comment never ends")),
            "{e:?}"
        );
    }

    const GOOD: &str = "-- revision: 3f2a9c1b7d4e\n-- down_revision: 9c0de4ab12ff\n-- message: add users table\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\n-- downgrade\nDROP TABLE users;\n";

    fn errors(text: &str) -> Vec<String> {
        match parse_revision("v/x.sql", text.as_bytes()) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn parses_the_documented_example() {
        let (rev, sections) =
            parse_revision_file("v/x.sql", GOOD.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(rev.id, "3f2a9c1b7d4e");
        assert_eq!(rev.down_revisions, vec!["9c0de4ab12ff"]);
        assert_eq!(rev.message, "add users table");
        assert_eq!(rev.create_date.as_deref(), Some("2026-11-22T10:30:00Z"));
        assert!(rev.transactional);
        assert_eq!(
            sections.upgrade,
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
        );
        assert_eq!(sections.downgrade.as_deref(), Some("DROP TABLE users;\n"));
        assert!(rev.is_reversible());
        assert_eq!(rev.source.upgrade_line, 7);
        assert_eq!(rev.source.downgrade_line, 10);
        assert_eq!(rev.source.down_revision_line, 2);
    }

    #[test]
    fn crlf_and_bom_parse_the_same() {
        let crlf = GOOD.replace('\n', "\r\n");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(crlf.as_bytes());
        let a = parse_revision_file("x", GOOD.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        let b = parse_revision_file("x", &bom).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(a, b);
    }

    #[test]
    fn base_merge_labels_and_transactional() {
        let text = "-- revision: m1\n-- down_revision: a1, b2\n-- branch_labels: feat.x, other\n-- depends_on: c3\n-- transactional: false\n-- upgrade\n";
        let (rev, sections) =
            parse_revision_file("x", text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(rev.down_revisions, vec!["a1", "b2"]);
        assert_eq!(rev.branch_labels, vec!["feat.x", "other"]);
        assert_eq!(rev.depends_on, vec!["c3"]);
        assert!(!rev.transactional);
        assert_eq!(sections.upgrade, "");
        assert!(
            sections.downgrade.is_none() && !rev.is_reversible(),
            "no downgrade section means irreversible"
        );
        let (base, sections) = parse_revision_file(
            "x",
            b"-- revision: a\n-- down_revision:\n-- upgrade\nSELECT 1;\n-- downgrade\n",
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(base.down_revisions.is_empty());
        assert_eq!(sections.downgrade.as_deref(), Some(""));
        assert!(base.is_reversible());
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(
            errors("-- revision: a\n-- down_revison: b\n-- upgrade\n"),
            vec![
                "v/x.sql:2:4: unknown header key `down_revison`\n  = help: did you mean `down_revision`? The header keys are: revision, down_revision, branch_labels, depends_on, message, create_date, transactional",
                "v/x.sql:3: missing `-- down_revision:` header line\n  = help: add `-- down_revision: <parent id>` to the header (empty for a base revision)",
            ]
        );
        assert_eq!(
            errors("-- revision: a-b\n-- down_revision:\n-- upgrade\n"),
            vec!["v/x.sql:1:14: invalid revision id `a-b`\n  = help: revision ids are 1 to 32 characters of A-Z, a-z, 0-9 and _, and not `head`, `heads` or `base`"]
        );
        assert_eq!(
            errors("-- revision: a\n-- down_revision: b,, c\n-- upgrade\n"),
            vec!["v/x.sql:2:21: empty entry in `down_revision`\n  = help: separate entries with single commas"]
        );
    }

    #[test]
    fn every_malformation_is_reported() {
        let cases: &[(&str, &str)] = &[
            (
                "-- revision: a\n-- down_revision:\n",
                "missing `-- upgrade` section",
            ),
            (
                "-- down_revision:\n-- upgrade\n",
                "missing `-- revision:` header line",
            ),
            (
                "-- revision: a\n-- revision: b\n-- down_revision:\n-- upgrade\n",
                "appears twice",
            ),
            (
                "-- revision: a\n-- down_revision:\n-- transactional: maybe\n-- upgrade\n",
                "must be `true` or `false`",
            ),
            (
                "-- revision: a\n-- down_revision:\nCREATE TABLE t();\n-- upgrade\n",
                "SQL before the `-- upgrade` marker",
            ),
            (
                "-- revision: a\n-- down_revision:\n\n-- message: late\n-- upgrade\n",
                "separated from the header",
            ),
            (
                "-- revision: a\n-- down_revision:\n--upgrade\n",
                "looks like a section marker",
            ),
            (
                "-- revision: a\n-- down_revision:\n-- upgrade\n-- upgrade\n",
                "second `-- upgrade`",
            ),
            (
                "-- revision: a\n-- down_revision:\n-- downgrade\n-- upgrade\n",
                "`-- downgrade` before `-- upgrade`",
            ),
            (
                "-- revision: a\n-- down_revision: None\n-- upgrade\n",
                "is not a revision id",
            ),
            (
                "-- revision: head\n-- down_revision:\n-- upgrade\n",
                "invalid revision id `head`",
            ),
            (
                "-- revision: a\n-- down_revision: b, b\n-- upgrade\n",
                "listed twice",
            ),
            (
                "-- revision: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n-- down_revision:\n-- upgrade\n",
                "invalid revision id",
            ),
            (
                "-- revision: a\n-- down_revision:\n-- branch_labels: x@y\n-- upgrade\n",
                "invalid entry `x@y`",
            ),
            ("", "missing `-- revision:` header line"),
        ];
        for (text, expected) in cases {
            let found = errors(text);
            assert!(
                found.iter().any(|e| e.contains(expected)),
                "{text:?}: expected {expected:?} in {found:?}"
            );
        }
    }

    #[test]
    fn non_utf8_points_at_the_byte() {
        let found =
            errors("-- revision: a\n-- down_revision:\n-- upgrade\nSELECT '\u{e9}\u{0}';\n").len();
        assert_eq!(found, 0);
        let bytes = b"-- revision: a\n-- down_revision:\n-- upgrade\nSELECT '\xff';\n";
        let err = parse_revision("v/x.sql", bytes).err().unwrap_or_default();
        assert_eq!(
            err[0].to_string(),
            "v/x.sql:4:9: revision file is not valid UTF-8\n  = help: save the file as UTF-8"
        );
    }
}
