//! SQL dialects: splitting a revision's SQL into statements, and quoting identifiers and strings.
//!
//! A revision's SQL is normally sent to the database in one piece. Some statements cannot run
//! that way: PostgreSQL runs a multi-statement query inside one implicit transaction, where
//! `CREATE INDEX CONCURRENTLY` is refused. So the runtime runs a non-transactional revision one
//! statement at a time with [`split_statements`], and names the failing statement's line.
//!
//! ```
//! use aludel_graph::sql::{split_statements, Dialect};
//!
//! let sql = "CREATE TABLE t (id int, note text DEFAULT 'a;b');\n\
//!            \n\
//!            -- no transaction for this one\n\
//!            CREATE INDEX CONCURRENTLY t_id ON t (id);\n";
//! let statements = split_statements(sql, Dialect::Postgres).unwrap();
//! assert_eq!(statements.len(), 2);
//! assert_eq!(statements[1].text, "CREATE INDEX CONCURRENTLY t_id ON t (id)");
//! assert_eq!(statements[1].line, 4);
//! ```
//!
//! # What a statement is
//!
//! The splitter never splits inside a construct: a `;` ends a statement only outside strings,
//! quoted identifiers, dollar quotes, comments and compound bodies. A statement's
//! [`text`](Statement::text) runs from its first token to its last token, so it is executable as
//! it is:
//!
//! - comments *before* the first token and *after* the last one (before the `;`) belong to no
//!   statement and are left out; comments *inside* a statement are kept;
//! - the terminating `;` (or MySQL delimiter) is left out;
//! - a piece holding only whitespace and comments (`;;`, a trailing comment) is no statement;
//! - the last statement needs no `;`.
//!
//! [`line`](Statement::line) is the 1-based line of the statement's first token, counted in the
//! text given to [`split_statements`].
//!
//! # The rules per dialect
//!
//! | | SQLite | PostgreSQL | MySQL / MariaDB |
//! |---|---|---|---|
//! | line comments | `--` | `--` | `-- ` (followed by whitespace), `#` |
//! | block comments | `/* */` | `/* */`, nesting | `/* */`; `/*! */` and `/*M! */` are SQL and stay in the statement |
//! | strings | `'..''..'` | `'..''..'` (also `B'`, `X'`, `N'`, `U&'`); `E'..\'..'` with backslash escapes; `$$..$$`, `$tag$..$tag$` | `'..'` and `".."` with `''` and backslash escapes |
//! | quoted identifiers | `".."`, `` `..` ``, `[..]` | `".."` | `` `..` `` |
//! | bodies holding `;` | `CREATE [TEMP] TRIGGER .. BEGIN ..; END` | `CREATE [OR REPLACE] FUNCTION/PROCEDURE .. BEGIN ATOMIC ..; END`; `;` inside parentheses (`CREATE RULE .. DO (..; ..)`) | `CREATE [DEFINER = ..] TRIGGER/PROCEDURE/FUNCTION/EVENT .. BEGIN ..; END`; `BEGIN NOT ATOMIC ..; END`; `DELIMITER` lines |
//!
//! Each follows the database's own client: SQLite's `sqlite3_complete()` state machine, psql's
//! lexer (standard-conforming strings, parentheses, `BEGIN ATOMIC` tracking) and the mysql
//! client's `DELIMITER` command (default `sql_mode`: backslashes escape in strings). Unlike the
//! mysql client, MySQL compound statements written without `DELIMITER` stay whole, as the
//! server parses them.
//!
//! In MySQL compound bodies `BEGIN` and `CASE` open a block and `END` closes one; `END IF`,
//! `END LOOP`, `END WHILE` and `END REPEAT` close constructs that need no counting, and
//! `END CASE` closes a `CASE`. Keywords are matched case-insensitively and as whole words, so
//! `begin_date` is an identifier.
//!
//! A `DELIMITER` line (MySQL) is recognised where a statement may start or as the first word
//! of a line, as the mysql client does: it ends a statement still open, sets the delimiter for
//! what follows, and is not itself a statement.
//!
//! # Errors
//!
//! A string, quoted identifier, dollar quote or comment still open at the end of the input is a
//! [`SplitError`]: it would silently swallow every statement after it. An unbalanced
//! `BEGIN`/`END` or parenthesis is not an error here; the rest of the input becomes one
//! statement, and the database reports its syntax error.

use std::fmt;
use std::str::FromStr;

use crate::diagnostic::nearest;

/// The SQL dialect of a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL, and MariaDB.
    Mysql,
}

/// The names [`Dialect::from_str`] accepts.
pub const DIALECT_NAMES: [&str; 5] = ["sqlite", "postgres", "postgresql", "mysql", "mariadb"];

impl Dialect {
    /// The dialect's name as SQLAlchemy and Alembic spell it: `sqlite`, `postgresql`, `mysql`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgresql",
            Dialect::Mysql => "mysql",
        }
    }

    /// Quotes an identifier (a table, column or schema name): `"name"` in SQLite and
    /// PostgreSQL with `"` doubled, `` `name` `` in MySQL with `` ` `` doubled.
    ///
    /// ```
    /// use aludel_graph::sql::Dialect;
    ///
    /// assert_eq!(Dialect::Postgres.quote_identifier(r#"my "table""#), r#""my ""table""""#);
    /// assert_eq!(Dialect::Mysql.quote_identifier("alembic_version"), "`alembic_version`");
    /// ```
    pub fn quote_identifier(self, ident: &str) -> String {
        let quote = match self {
            Dialect::Mysql => '`',
            Dialect::Sqlite | Dialect::Postgres => '"',
        };
        let mut out = String::with_capacity(ident.len() + 2);
        out.push(quote);
        for c in ident.chars() {
            if c == quote {
                out.push(quote);
            }
            out.push(c);
        }
        out.push(quote);
        out
    }

    /// Quotes a string literal: `'...'` with `'` doubled; in MySQL, where a backslash escapes
    /// the next character by default, backslashes are doubled too. PostgreSQL's literal assumes
    /// `standard_conforming_strings` (on by default since PostgreSQL 9.1).
    ///
    /// For SQL written out to be run later (offline mode); a statement that aludel runs binds
    /// its values instead.
    ///
    /// ```
    /// use aludel_graph::sql::Dialect;
    ///
    /// assert_eq!(Dialect::Sqlite.quote_string(r"it's C:\"), r"'it''s C:\'");
    /// assert_eq!(Dialect::Mysql.quote_string(r"it's C:\"), r"'it''s C:\\'");
    /// ```
    pub fn quote_string(self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if self == Dialect::Mysql => out.push_str("\\\\"),
                _ => out.push(c),
            }
        }
        out.push('\'');
        out
    }
}

impl fmt::Display for Dialect {
    /// Writes [`Dialect::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = UnknownDialect;

    /// Reads `sqlite`, `postgres` or `postgresql`, `mysql` or `mariadb`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Dialect::Sqlite),
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::Mysql),
            _ => Err(UnknownDialect {
                name: s.to_string(),
            }),
        }
    }
}

/// A dialect name that [`Dialect::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SQL dialect `{name}`; {}", dialect_help(.name))]
#[non_exhaustive]
pub struct UnknownDialect {
    /// The name as given.
    pub name: String,
}

fn dialect_help(name: &str) -> String {
    let accepted = "sqlite, postgres (or postgresql), mysql (or mariadb)";
    match nearest(&name.to_ascii_lowercase(), DIALECT_NAMES) {
        Some(near) => format!("did you mean `{near}`? The dialects are: {accepted}"),
        None => format!("the dialects are: {accepted}"),
    }
}

/// One statement of a piece of SQL, as [`split_statements`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement<'a> {
    /// The statement, from its first token to its last: no surrounding whitespace or
    /// comments, no terminating `;` (or MySQL delimiter). Comments inside it are kept.
    pub text: &'a str,
    /// The 1-based line of the input on which the statement's first token stands.
    pub line: u32,
}

/// Why [`split_statements`] cannot split a piece of SQL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// A string, quoted identifier, dollar quote or comment is still open at the end of the
    /// input.
    #[error("unterminated {construct} starting at line {line}, column {column}: nothing closes it before the end of the SQL; add the closing `{}`{}", .construct.closing(), .construct.hint())]
    Unterminated {
        /// What is left open.
        construct: Construct,
        /// The 1-based line where it opens.
        line: u32,
        /// The 1-based column (in characters) where it opens.
        column: u32,
    },
    /// A MySQL `DELIMITER` line that sets no usable delimiter.
    #[error("invalid DELIMITER command at line {line}: {problem}")]
    InvalidDelimiter {
        /// The 1-based line of the `DELIMITER` command.
        line: u32,
        /// What is wrong, and what to write instead.
        problem: String,
    },
}

impl SplitError {
    /// The 1-based line of the input the error points at.
    pub fn line(&self) -> u32 {
        match self {
            SplitError::Unterminated { line, .. } | SplitError::InvalidDelimiter { line, .. } => {
                *line
            }
        }
    }
}

/// A construct that can be left open, for [`SplitError::Unterminated`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Construct {
    /// A string literal, closed by `quote`.
    String {
        /// The quote: `'`, or `"` for a MySQL double-quoted string.
        quote: char,
        /// Whether a backslash escapes the next character (PostgreSQL `E'...'`, MySQL).
        backslash_escapes: bool,
    },
    /// A quoted identifier: `"..."`, `` `...` `` or SQLite's `[...]`.
    QuotedIdentifier {
        /// The opening quote: `"`, `` ` `` or `[`.
        quote: char,
    },
    /// A PostgreSQL dollar-quoted string.
    DollarQuote {
        /// The delimiter, e.g. `$$` or `$body$`.
        tag: String,
    },
    /// A `/* ... */` comment.
    BlockComment {
        /// Whether another `/*` opened inside it (PostgreSQL's comments nest, so that one
        /// needs its own `*/`).
        nested: bool,
    },
    /// A MySQL executable comment `/*! ... */` or `/*M! ... */`.
    ExecutableComment,
}

impl Construct {
    /// The text that closes the construct.
    pub fn closing(&self) -> String {
        match self {
            Construct::String { quote, .. } => quote.to_string(),
            Construct::QuotedIdentifier { quote: '[' } => "]".to_string(),
            Construct::QuotedIdentifier { quote } => quote.to_string(),
            Construct::DollarQuote { tag } => tag.clone(),
            Construct::BlockComment { .. } | Construct::ExecutableComment => "*/".to_string(),
        }
    }

    fn hint(&self) -> String {
        match self {
            Construct::String {
                backslash_escapes: true,
                ..
            } => " (here a backslash escapes the next character: write `\\\\` for a backslash)"
                .to_string(),
            Construct::BlockComment { nested: true } => {
                " (PostgreSQL block comments nest: each `/*` inside it needs its own `*/`)"
                    .to_string()
            }
            _ => String::new(),
        }
    }
}

impl fmt::Display for Construct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Construct::String { .. } => f.write_str("string literal"),
            Construct::QuotedIdentifier { .. } => f.write_str("quoted identifier"),
            Construct::DollarQuote { tag } => write!(f, "dollar-quoted string `{tag}`"),
            Construct::BlockComment { .. } => f.write_str("block comment"),
            Construct::ExecutableComment => f.write_str("executable comment `/*! ... */`"),
        }
    }
}

/// Splits SQL into the statements a database runs one at a time. See the
/// [module documentation](self) for the rules.
///
/// ```
/// use aludel_graph::sql::{split_statements, Dialect, Statement};
///
/// let sql = "CREATE TABLE a (x);\n\
///            CREATE TRIGGER a_log AFTER INSERT ON a BEGIN\n\
///            \x20 INSERT INTO log VALUES (new.x);\n\
///            END;\n";
/// let statements = split_statements(sql, Dialect::Sqlite).unwrap();
/// assert_eq!(statements[1], Statement {
///     text: "CREATE TRIGGER a_log AFTER INSERT ON a BEGIN\n  INSERT INTO log VALUES (new.x);\nEND",
///     line: 2,
/// });
/// ```
///
/// # Errors
///
/// [`SplitError::Unterminated`] when a string, quoted identifier, dollar quote or comment is
/// still open at the end; [`SplitError::InvalidDelimiter`] for a MySQL `DELIMITER` line without
/// a usable delimiter.
pub fn split_statements(sql: &str, dialect: Dialect) -> Result<Vec<Statement<'_>>, SplitError> {
    Splitter::new(sql, dialect).run()
}

/// A significant token, as the body trackers see it.
#[derive(Debug, Clone, Copy)]
enum Token<'a> {
    /// A keyword, identifier or number.
    Word(&'a str),
    /// A string literal or quoted identifier.
    Quoted,
    /// Any other character, `;` included when it is not the statement delimiter.
    Punct(u8),
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn is(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

/// The line number of byte offsets, counted incrementally (statements come in order).
struct Lines {
    offset: usize,
    line: u32,
}

impl Lines {
    fn at(&mut self, bytes: &[u8], offset: usize) -> u32 {
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let newlines = bytes
            .get(self.offset..offset)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        self.line = self
            .line
            .saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        self.offset = offset;
        self.line
    }
}

struct Splitter<'a> {
    sql: &'a str,
    bytes: &'a [u8],
    dialect: Dialect,
    pos: usize,
    /// The statement delimiter: `;`, or what a MySQL `DELIMITER` line set.
    delimiter: String,
    /// Where the MySQL executable comment we are inside opened.
    exec_comment: Option<usize>,
    /// First byte of the current statement's first token.
    start: Option<usize>,
    /// End of the current statement's last token.
    end: usize,
    tracker: Tracker,
    lines: Lines,
    statements: Vec<Statement<'a>>,
}

impl<'a> Splitter<'a> {
    fn new(sql: &'a str, dialect: Dialect) -> Self {
        Splitter {
            sql,
            bytes: sql.as_bytes(),
            dialect,
            pos: 0,
            delimiter: ";".to_string(),
            exec_comment: None,
            start: None,
            end: 0,
            tracker: Tracker::new(dialect),
            lines: Lines { offset: 0, line: 1 },
            statements: Vec::new(),
        }
    }

    fn run(mut self) -> Result<Vec<Statement<'a>>, SplitError> {
        if self.sql.starts_with('\u{feff}') {
            self.pos = '\u{feff}'.len_utf8();
        }
        while let Some(b) = self.at(self.pos) {
            self.step(b)?;
        }
        if let Some(open) = self.exec_comment {
            return Err(self.unterminated(Construct::ExecutableComment, open));
        }
        self.finish();
        Ok(self.statements)
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.sql.get(from..to).unwrap_or_default()
    }

    /// Reads the token at `self.pos`, whose first byte is `b`.
    fn step(&mut self, b: u8) -> Result<(), SplitError> {
        let start = self.pos;
        let mysql = self.dialect == Dialect::Mysql;
        if b.is_ascii_whitespace() {
            self.pos += 1;
            return Ok(());
        }
        if self.custom_delimiter_at(start) {
            self.pos += self.delimiter.len();
            self.finish();
            return Ok(());
        }
        let next = self.at(start + 1);
        match b {
            b'-' if next == Some(b'-') && self.dash_comment(start) => self.skip_line(),
            b'#' if mysql => self.skip_line(),
            b'/' if next == Some(b'*') => self.block_comment(start)?,
            b'*' if next == Some(b'/') && self.exec_comment.is_some() => {
                self.exec_comment = None;
                self.pos = start + 2;
                self.mark(start);
            }
            b'\'' => {
                let backslash = mysql;
                self.quoted(start, start, b'\'', backslash)?;
            }
            b'"' if mysql => self.quoted(start, start, b'"', true)?,
            b'"' => self.quoted(start, start, b'"', false)?,
            b'`' if self.dialect != Dialect::Postgres => self.quoted(start, start, b'`', false)?,
            b'[' if self.dialect == Dialect::Sqlite => self.quoted(start, start, b']', false)?,
            b'$' if self.dialect == Dialect::Postgres => match self.dollar_tag(start) {
                Some(tag_end) => self.dollar_quote(start, tag_end)?,
                None => self.punct(start, b),
            },
            b';' if self.delimiter == ";" => {
                self.pos = start + 1;
                if self.exec_comment.is_some() {
                    // Never split inside an executable comment.
                    self.significant(start, Token::Punct(b';'));
                } else if self.tracker.semicolon_ends() {
                    self.finish();
                } else {
                    self.mark(start);
                }
            }
            _ if is_word_byte(b) => self.word(start)?,
            _ => self.punct(start, b),
        }
        Ok(())
    }

    /// Whether the MySQL delimiter set by a `DELIMITER` line (other than `;`) starts at `i`.
    fn custom_delimiter_at(&self, i: usize) -> bool {
        self.dialect == Dialect::Mysql
            && self.delimiter != ";"
            && self.exec_comment.is_none()
            && self
                .bytes
                .get(i..)
                .is_some_and(|rest| rest.starts_with(self.delimiter.as_bytes()))
    }

    /// Whether the `--` at `i` starts a comment: always, except in MySQL, which needs a
    /// whitespace or control character after it.
    fn dash_comment(&self, i: usize) -> bool {
        self.dialect != Dialect::Mysql || self.at(i + 2).is_none_or(|c| c <= b' ' || c == 0x7f)
    }

    /// Records the token `start..self.pos` as part of the current statement.
    fn mark(&mut self, start: usize) {
        if self.start.is_none() {
            self.start = Some(start);
        }
        self.end = self.pos;
    }

    fn significant(&mut self, start: usize, token: Token<'a>) {
        self.mark(start);
        self.tracker.feed(token);
    }

    fn punct(&mut self, start: usize, b: u8) {
        self.pos = start + 1;
        self.significant(start, Token::Punct(b));
    }

    /// Ends the current statement, if it has a token.
    fn finish(&mut self) {
        if let Some(start) = self.start.take() {
            let line = self.lines.at(self.bytes, start);
            self.statements.push(Statement {
                text: self.slice(start, self.end),
                line,
            });
        }
        self.tracker = Tracker::new(self.dialect);
    }

    fn line_end(&self, from: usize) -> usize {
        self.bytes
            .get(from..)
            .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
            .map_or(self.bytes.len(), |p| from + p)
    }

    fn skip_line(&mut self) {
        self.pos = self.line_end(self.pos);
    }

    fn unterminated(&mut self, construct: Construct, at: usize) -> SplitError {
        let line = self.lines.at(self.bytes, at);
        let line_start = self
            .bytes
            .get(..at)
            .and_then(|b| b.iter().rposition(|&c| c == b'\n'))
            .map_or(0, |p| p + 1);
        let column = self.slice(line_start, at).chars().count() + 1;
        SplitError::Unterminated {
            construct,
            line,
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    fn block_comment(&mut self, start: usize) -> Result<(), SplitError> {
        if self.dialect == Dialect::Mysql && self.exec_comment.is_none() {
            let executable = match (self.at(start + 2), self.at(start + 3)) {
                (Some(b'!'), _) => 3,
                (Some(b'M'), Some(b'!')) => 4,
                _ => 0,
            };
            if executable > 0 {
                // The SQL inside is read as SQL, after the optional version number.
                let mut i = start + executable;
                while self.at(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
                self.pos = i;
                self.exec_comment = Some(start);
                self.mark(start);
                return Ok(());
            }
        }
        let nests = self.dialect == Dialect::Postgres;
        let mut depth = 1u32;
        let mut nested = false;
        let mut i = start + 2;
        loop {
            match (self.at(i), self.at(i + 1)) {
                (None, _) => {
                    return Err(self.unterminated(Construct::BlockComment { nested }, start))
                }
                (Some(b'*'), Some(b'/')) => {
                    i += 2;
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                (Some(b'/'), Some(b'*')) if nests => {
                    i += 2;
                    depth += 1;
                    nested = true;
                }
                _ => i += 1,
            }
        }
        self.pos = i;
        Ok(())
    }

    /// Reads a string or quoted identifier opening at `open` and closed by `close`; the token
    /// starts at `start` (before `open` for PostgreSQL's `E'...'`).
    fn quoted(
        &mut self,
        start: usize,
        open: usize,
        close: u8,
        backslash: bool,
    ) -> Result<(), SplitError> {
        let mut i = open + 1;
        loop {
            match self.at(i) {
                None => {
                    let quote = char::from(self.at(open).unwrap_or(close));
                    let construct = if close == b'\'' || (close == b'"' && backslash) {
                        Construct::String {
                            quote,
                            backslash_escapes: backslash,
                        }
                    } else {
                        Construct::QuotedIdentifier { quote }
                    };
                    return Err(self.unterminated(construct, start));
                }
                Some(b'\\') if backslash => i += 2,
                Some(c) if c == close => {
                    if close != b']' && self.at(i + 1) == Some(close) {
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                }
                Some(_) => i += 1,
            }
        }
        self.pos = i;
        self.significant(start, Token::Quoted);
        Ok(())
    }

    /// The end of a dollar-quote delimiter (`$$`, `$tag$`) starting at `start`, if one does.
    fn dollar_tag(&self, start: usize) -> Option<usize> {
        let mut i = start + 1;
        match self.at(i)? {
            b'$' => return Some(i + 1),
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {}
            _ => return None,
        }
        while self
            .at(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80)
        {
            i += 1;
        }
        (self.at(i) == Some(b'$')).then_some(i + 1)
    }

    fn dollar_quote(&mut self, start: usize, tag_end: usize) -> Result<(), SplitError> {
        let tag = self.slice(start, tag_end);
        match self.sql.get(tag_end..).and_then(|body| body.find(tag)) {
            Some(p) => {
                self.pos = tag_end + p + tag.len();
                self.significant(start, Token::Quoted);
                Ok(())
            }
            None => Err(self.unterminated(
                Construct::DollarQuote {
                    tag: tag.to_string(),
                },
                start,
            )),
        }
    }

    fn word(&mut self, start: usize) -> Result<(), SplitError> {
        let mut end = start + 1;
        while self.at(end).is_some_and(is_word_byte) && !self.custom_delimiter_at(end) {
            end += 1;
        }
        let word = self.slice(start, end);
        if self.dialect == Dialect::Mysql
            && is(word, "delimiter")
            && self.delimiter_command(start, end)?
        {
            return Ok(());
        }
        if self.dialect == Dialect::Postgres {
            // Prefixed literals are one token, as in psql's lexer: E'..' (backslash escapes),
            // B'..', X'..', N'..', U&'..' and the identifier U&"..".
            let next = self.at(end);
            if next == Some(b'\'') && ["e", "b", "x", "n"].iter().any(|p| is(word, p)) {
                return self.quoted(start, end, b'\'', is(word, "e"));
            }
            if is(word, "u") && next == Some(b'&') {
                if let Some(quote @ (b'\'' | b'"')) = self.at(end + 1) {
                    return self.quoted(start, end + 1, quote, false);
                }
            }
        }
        self.pos = end;
        self.significant(start, Token::Word(word));
        Ok(())
    }

    /// Whether only spaces and tabs stand between the start of the line and `i`.
    fn first_on_line(&self, i: usize) -> bool {
        let before = self.bytes.get(..i).unwrap_or_default();
        let indent = before
            .iter()
            .rev()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        i == indent || before.get(i - indent - 1) == Some(&b'\n')
    }

    /// Handles a MySQL `DELIMITER` command whose word spans `start..word_end`; `false` when the
    /// word is no command here.
    fn delimiter_command(&mut self, start: usize, word_end: usize) -> Result<bool, SplitError> {
        if self.exec_comment.is_some() {
            return Ok(false);
        }
        let at_statement_start = self.start.is_none();
        if !at_statement_start && !self.first_on_line(start) {
            return Ok(false);
        }
        let line_end = self.line_end(word_end);
        let rest = self.slice(word_end, line_end);
        let invalid = |this: &mut Self, problem: String| {
            let line = this.lines.at(this.bytes, start);
            Err(SplitError::InvalidDelimiter { line, problem })
        };
        if !rest.starts_with([' ', '\t']) {
            if at_statement_start && rest.trim().is_empty() {
                return invalid(
                    self,
                    "DELIMITER needs the new delimiter after it; write e.g. `DELIMITER //`, and `DELIMITER ;` to return to `;`".to_string(),
                );
            }
            return Ok(false);
        }
        let rest = rest.trim_start();
        let arg_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (delimiter, after) = rest.split_at(arg_len);
        let after = after.trim();
        if delimiter.is_empty() {
            return invalid(
                self,
                "DELIMITER needs the new delimiter after it; write e.g. `DELIMITER //`, and `DELIMITER ;` to return to `;`".to_string(),
            );
        }
        if delimiter.contains('\\') {
            return invalid(
                self,
                format!("the delimiter `{delimiter}` contains a backslash, which the mysql client does not allow; choose another, e.g. `//`"),
            );
        }
        if !(after.is_empty() || after.starts_with("--") || after.starts_with('#')) {
            return invalid(
                self,
                format!("unexpected `{after}` after `DELIMITER {delimiter}`; put the DELIMITER command on a line of its own"),
            );
        }
        self.finish();
        self.delimiter = delimiter.to_string();
        self.pos = line_end;
        Ok(true)
    }
}

/// Follows the bodies in which a `;` does not end the statement.
enum Tracker {
    Sqlite(SqliteTrigger),
    Postgres(PgBody),
    Mysql(MysqlBody),
}

impl Tracker {
    fn new(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Sqlite => Tracker::Sqlite(SqliteTrigger::Start),
            Dialect::Postgres => Tracker::Postgres(PgBody::default()),
            Dialect::Mysql => Tracker::Mysql(MysqlBody {
                phase: MysqlPhase::Start,
                depth: 0,
                pending_end: false,
            }),
        }
    }

    fn feed(&mut self, token: Token<'_>) {
        match self {
            Tracker::Sqlite(state) => *state = state.next(SqliteToken::of(token)),
            Tracker::Postgres(body) => body.feed(token),
            Tracker::Mysql(body) => body.feed(token),
        }
    }

    /// Takes a `;` (the delimiter) and says whether it ends the statement.
    fn semicolon_ends(&mut self) -> bool {
        match self {
            Tracker::Sqlite(state) => {
                *state = state.next(SqliteToken::Semi);
                *state == SqliteTrigger::Start
            }
            Tracker::Postgres(body) => body.paren_depth == 0 && body.begin_depth == 0,
            Tracker::Mysql(body) => {
                body.resolve_end(None);
                body.depth == 0
            }
        }
    }
}

/// The states of SQLite's `sqlite3_complete()`: a `;` ends the statement unless it stands in
/// the body of a `CREATE [TEMP] TRIGGER`, which only `; END ;` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqliteTrigger {
    /// At the start of a statement.
    Start,
    /// In a statement that is no trigger.
    Normal,
    /// After `EXPLAIN`.
    Explain,
    /// After `CREATE` (and `TEMP`).
    Create,
    /// In a trigger.
    Trigger,
    /// In a trigger, after a `;`.
    Semi,
    /// In a trigger, after `; END`.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqliteToken {
    Semi,
    Other,
    Explain,
    Create,
    Temp,
    Trigger,
    End,
}

impl SqliteToken {
    fn of(token: Token<'_>) -> Self {
        match token {
            Token::Word(w) if is(w, "explain") => SqliteToken::Explain,
            Token::Word(w) if is(w, "create") => SqliteToken::Create,
            Token::Word(w) if is(w, "temp") || is(w, "temporary") => SqliteToken::Temp,
            Token::Word(w) if is(w, "trigger") => SqliteToken::Trigger,
            Token::Word(w) if is(w, "end") => SqliteToken::End,
            _ => SqliteToken::Other,
        }
    }
}

impl SqliteTrigger {
    /// `sqlite3_complete()`'s transition table (whitespace and comments change nothing).
    fn next(self, token: SqliteToken) -> Self {
        use SqliteToken as T;
        use SqliteTrigger as S;
        match (self, token) {
            (S::Trigger | S::Semi, T::Semi) => S::Semi,
            (S::Semi, T::End) => S::End,
            (S::End, T::Semi) => S::Start,
            (S::Trigger | S::Semi | S::End, _) => S::Trigger,
            (_, T::Semi) => S::Start,
            (S::Start, T::Explain) => S::Explain,
            (S::Start | S::Explain, T::Create) => S::Create,
            (S::Explain, T::Other) => S::Explain,
            (S::Create, T::Temp) => S::Create,
            (S::Create, T::Trigger) => S::Trigger,
            _ => S::Normal,
        }
    }
}

/// psql's rules: a `;` inside parentheses, or inside the `BEGIN ATOMIC ... END` body of a
/// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, does not end the statement.
#[derive(Debug, Default)]
struct PgBody {
    paren_depth: u32,
    begin_depth: u32,
    /// How many words the statement has had.
    words: u32,
    /// Its first four words, as far as they are `create`, `or`, `replace`, `function` or
    /// `procedure` (`None` for any other word).
    head: [Option<PgHead>; 4],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PgHead {
    Create,
    Or,
    Replace,
    Routine,
}

impl PgBody {
    fn feed(&mut self, token: Token<'_>) {
        match token {
            Token::Punct(b'(') => self.paren_depth += 1,
            Token::Punct(b')') => self.paren_depth = self.paren_depth.saturating_sub(1),
            Token::Word(word) => self.word(word),
            _ => {}
        }
    }

    fn word(&mut self, word: &str) {
        if let Some(slot) = usize::try_from(self.words)
            .ok()
            .and_then(|i| self.head.get_mut(i))
        {
            *slot = if is(word, "create") {
                Some(PgHead::Create)
            } else if is(word, "or") {
                Some(PgHead::Or)
            } else if is(word, "replace") {
                Some(PgHead::Replace)
            } else if is(word, "function") || is(word, "procedure") {
                Some(PgHead::Routine)
            } else {
                None
            };
        }
        self.words = self.words.saturating_add(1);
        if !self.is_routine() || self.paren_depth > 0 {
            return;
        }
        if is(word, "begin") {
            self.begin_depth += 1;
        } else if is(word, "case") {
            // CASE also ends with END; it only matters inside a BEGIN.
            if self.begin_depth > 0 {
                self.begin_depth += 1;
            }
        } else if is(word, "end") {
            self.begin_depth = self.begin_depth.saturating_sub(1);
        }
    }

    /// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`.
    fn is_routine(&self) -> bool {
        use PgHead::*;
        matches!(
            self.head,
            [Some(Create), Some(Routine), _, _]
                | [Some(Create), Some(Or), Some(Replace), Some(Routine)]
        )
    }
}

/// MySQL compound statements written without `DELIMITER`: the body of a stored program
/// (`CREATE ... TRIGGER|PROCEDURE|FUNCTION|EVENT`) or of MariaDB's `BEGIN NOT ATOMIC`.
struct MysqlBody {
    phase: MysqlPhase,
    /// Open `BEGIN` and `CASE` blocks.
    depth: u32,
    /// An `END` was read; the next token says what it closes.
    pending_end: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MysqlPhase {
    /// Nothing read yet.
    Start,
    /// After `CREATE` or `ALTER` (and `OR REPLACE`, `AGGREGATE` or a definer).
    Create,
    /// After `DEFINER`.
    DefinerEq,
    /// After `DEFINER =`.
    DefinerUser,
    /// After `DEFINER = name`.
    DefinerName { current_user: bool },
    /// After `DEFINER = name@`.
    DefinerHost,
    /// After `DEFINER = CURRENT_USER(`.
    DefinerParen,
    /// After a leading `BEGIN`: MariaDB's `BEGIN NOT ATOMIC` or a transaction.
    Begin,
    /// In a stored program: count blocks.
    Body,
    /// Any other statement.
    Plain,
}

impl MysqlBody {
    fn feed(&mut self, token: Token<'_>) {
        use MysqlPhase as P;
        let word = |kw: &str| matches!(token, Token::Word(w) if is(w, kw));
        self.phase = match self.phase {
            P::Start if word("create") || word("alter") => P::Create,
            P::Start if word("begin") => P::Begin,
            P::Begin if word("not") => {
                self.depth = 1;
                P::Body
            }
            P::Create => Self::preamble(token),
            P::DefinerEq if matches!(token, Token::Punct(b'=')) => P::DefinerUser,
            P::DefinerUser => match token {
                Token::Word(w) => P::DefinerName {
                    current_user: is(w, "current_user"),
                },
                Token::Quoted => P::DefinerName {
                    current_user: false,
                },
                Token::Punct(_) => P::Plain,
            },
            P::DefinerName { current_user } => match token {
                Token::Punct(b'@') => P::DefinerHost,
                Token::Punct(b'(') if current_user => P::DefinerParen,
                _ => Self::preamble(token),
            },
            P::DefinerHost if matches!(token, Token::Word(_) | Token::Quoted) => P::Create,
            P::DefinerParen if matches!(token, Token::Punct(b')')) => P::Create,
            P::Body => {
                self.body(token);
                P::Body
            }
            _ => P::Plain,
        };
    }

    /// The words between `CREATE` and the kind of object.
    fn preamble(token: Token<'_>) -> MysqlPhase {
        let Token::Word(w) = token else {
            return MysqlPhase::Plain;
        };
        if is(w, "or") || is(w, "replace") || is(w, "aggregate") {
            MysqlPhase::Create
        } else if is(w, "definer") {
            MysqlPhase::DefinerEq
        } else if ["trigger", "procedure", "function", "event"]
            .iter()
            .any(|kw| is(w, kw))
        {
            MysqlPhase::Body
        } else {
            MysqlPhase::Plain
        }
    }

    fn body(&mut self, token: Token<'_>) {
        if self.resolve_end(Some(token)) {
            return;
        }
        if let Token::Word(w) = token {
            if is(w, "begin") || is(w, "case") {
                self.depth += 1;
            } else if is(w, "end") {
                self.pending_end = true;
            }
        }
    }

    /// Settles a pending `END` given the token after it (`None` for the delimiter); `true` when
    /// that token was consumed as part of `END IF`, `END CASE` and the like.
    fn resolve_end(&mut self, next: Option<Token<'_>>) -> bool {
        if !std::mem::take(&mut self.pending_end) {
            return false;
        }
        match next {
            Some(Token::Word(w))
                if ["if", "loop", "while", "repeat"].iter().any(|kw| is(w, kw)) =>
            {
                // END IF, END LOOP, ...: closes a construct that is not counted.
                true
            }
            Some(Token::Word(w)) if is(w, "case") => {
                self.depth = self.depth.saturating_sub(1);
                true
            }
            _ => {
                self.depth = self.depth.saturating_sub(1);
                false
            }
        }
    }
}
