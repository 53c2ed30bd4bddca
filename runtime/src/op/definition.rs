//! Reading a table's definition as the database states it: SQLite's `CREATE TABLE` text from
//! `sqlite_master`, and a column's line of MySQL's `SHOW CREATE TABLE`. The batch rebuild
//! edits the former; `alter_column` on MySQL restates a column from the latter.
//!
//! The definition is split into items (words, quoted names, strings, parenthesised groups,
//! punctuation), each a slice of the original text, so that what aludel does not change is
//! written back exactly as it was.

/// One item of a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    pub(crate) text: &'a str,
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A bare word: a keyword, a name or a number.
    Word,
    /// A quoted name: `"a"`, `` `a` `` or `[a]`.
    Quoted,
    /// A string literal: `'a'`.
    Str,
    /// A parenthesised group, parentheses included.
    Group,
    /// `,`.
    Comma,
    /// Any other character (`-`, `+`, `.`, `;`).
    Punct,
}

impl Item<'_> {
    /// The keyword this item is, upper-cased; `None` for anything but a bare word.
    fn keyword(&self) -> Option<String> {
        (self.kind == Kind::Word).then(|| self.text.to_ascii_uppercase())
    }

    fn is(&self, keyword: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    /// The name this item spells: a bare word as is, a quoted name unquoted.
    pub(crate) fn name(&self) -> Option<String> {
        match self.kind {
            Kind::Word => Some(self.text.to_string()),
            Kind::Quoted => Some(unquote(self.text)),
            _ => None,
        }
    }

    /// The items inside a group, without its parentheses.
    pub(crate) fn inner(&self) -> Result<Vec<Item<'_>>, String> {
        match self.kind {
            Kind::Group => items(&self.text[1..self.text.len() - 1]),
            _ => Ok(Vec::new()),
        }
    }
}

fn unquote(text: &str) -> String {
    let inner = &text[1..text.len() - 1];
    match text.as_bytes()[0] {
        b'"' => inner.replace("\"\"", "\""),
        b'`' => inner.replace("``", "`"),
        _ => inner.to_string(),
    }
}

/// Whether two names are the same for the database (ASCII letters compare without case, as
/// SQLite and MySQL's table and column names do).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Splits `text` into items; comments and white space separate items and are dropped.
pub(crate) fn items(text: &str) -> Result<Vec<Item<'_>>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let b = bytes[i];
        let kind = match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'-' | b'/' if comment_end(text, i)?.is_some() => {
                i = comment_end(text, i)?.unwrap_or(bytes.len());
                continue;
            }
            b'\'' | b'"' | b'`' => {
                i = closing(text, i, b)?;
                if b == b'\'' {
                    Kind::Str
                } else {
                    Kind::Quoted
                }
            }
            b'[' => {
                i = text[i..]
                    .find(']')
                    .map(|n| i + n + 1)
                    .ok_or("a [name] is not closed")?;
                Kind::Quoted
            }
            b'(' => {
                i = group_end(text, i)?;
                Kind::Group
            }
            b')' => return Err("a ')' closes nothing".into()),
            b',' => {
                i += 1;
                Kind::Comma
            }
            _ if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'$'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                // A decimal number such as 1.5 is one item.
                if bytes.get(i) == Some(&b'.') && text[start..i].bytes().all(|c| c.is_ascii_digit())
                {
                    i += 1;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                Kind::Word
            }
            _ => {
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                Kind::Punct
            }
        };
        out.push(Item {
            text: &text[start..i],
            kind,
        });
    }
    Ok(out)
}

/// The end (exclusive) of the comment that starts at `start` (`-- ..` to the end of its line,
/// `/* .. */`); `None` where none starts there.
fn comment_end(text: &str, start: usize) -> Result<Option<usize>, String> {
    let rest = &text[start..];
    if rest.starts_with("--") {
        return Ok(Some(rest.find('\n').map_or(text.len(), |n| start + n + 1)));
    }
    if let Some(body) = rest.strip_prefix("/*") {
        return body
            .find("*/")
            .map(|n| Some(start + 2 + n + 2))
            .ok_or_else(|| "a comment is not closed".into());
    }
    Ok(None)
}

/// The end (exclusive) of the quoted text starting at `start` with `quote`; a doubled quote
/// (and in a string, MySQL's backslash escape) stays inside.
fn closing(text: &str, start: usize, quote: u8) -> Result<usize, String> {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == b'\\' && quote == b'\'' {
            i += 2;
            continue;
        }
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Ok(i + 1);
        }
        i += 1;
    }
    Err(format!("a {} is not closed", quote as char))
}

/// The end (exclusive) of the parenthesised group starting at `start`.
fn group_end(text: &str, start: usize) -> Result<usize, String> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            q @ (b'\'' | b'"' | b'`') => {
                i = closing(text, i, q)?;
                continue;
            }
            b'[' => {
                i = text[i..]
                    .find(']')
                    .map(|n| i + n + 1)
                    .ok_or("a [name] is not closed")?;
                continue;
            }
            b'-' | b'/' => {
                if let Some(end) = comment_end(text, i)? {
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err("a '(' is not closed".into())
}

/// The text from the first item to the last, as written.
fn span<'a>(source: &'a str, items: &[Item<'a>]) -> &'a str {
    match (items.first(), items.last()) {
        (Some(first), Some(last)) => {
            let start = first.text.as_ptr() as usize - source.as_ptr() as usize;
            let end = last.text.as_ptr() as usize - source.as_ptr() as usize + last.text.len();
            &source[start..end]
        }
        _ => "",
    }
}

/// The parts of a column's definition that aludel rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClauseKind {
    PrimaryKey,
    NotNull,
    Null,
    Unique,
    Check,
    Default,
    Collate,
    References,
    Generated,
    /// MySQL's `CHARACTER SET` (or `CHARSET`), which belongs to a text type.
    Charset,
    /// Anything else (`AUTO_INCREMENT`, `COMMENT '..'`, `ON UPDATE ..`), kept as written.
    Other,
}

/// One constraint or option of a column, as written (with its `CONSTRAINT name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    pub(crate) kind: ClauseKind,
    pub(crate) name: Option<String>,
    pub(crate) text: String,
}

/// A column's definition: `name type clause...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnDef {
    pub(crate) name: String,
    /// The name as written (quoted or not).
    pub(crate) name_text: String,
    /// The type as written; empty where SQLite's column has none.
    pub(crate) type_text: String,
    pub(crate) clauses: Vec<Clause>,
}

impl ColumnDef {
    /// The definition as SQL.
    pub(crate) fn sql(&self) -> String {
        let mut out = self.name_text.clone();
        for part in std::iter::once(&self.type_text).chain(self.clauses.iter().map(|c| &c.text)) {
            if !part.is_empty() {
                out.push(' ');
                out.push_str(part);
            }
        }
        out
    }

    pub(crate) fn has(&self, kind: ClauseKind) -> bool {
        self.clauses.iter().any(|c| c.kind == kind)
    }
}

/// Words that start a column's clause (SQLite's and MySQL's); the type is what comes before.
const CLAUSE_STARTS: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
    "CHARACTER",
    "CHARSET",
    "AUTO_INCREMENT",
    "COMMENT",
    "ON",
    "INVISIBLE",
    "VISIBLE",
    "KEY",
];

fn starts_clause(item: &Item<'_>) -> bool {
    item.keyword()
        .is_some_and(|k| CLAUSE_STARTS.contains(&k.as_str()))
}

/// A cursor over an element's items.
struct Cursor<'s, 'a> {
    items: &'s [Item<'a>],
    at: usize,
}

impl<'a> Cursor<'_, 'a> {
    fn peek(&self) -> Option<&Item<'a>> {
        self.items.get(self.at)
    }

    fn peek_is(&self, keyword: &str) -> bool {
        self.peek().is_some_and(|i| i.is(keyword))
    }

    fn next(&mut self) -> Option<Item<'a>> {
        let item = self.items.get(self.at).copied();
        self.at += usize::from(item.is_some());
        item
    }

    /// Takes the item if it is `keyword`.
    fn eat(&mut self, keyword: &str) -> bool {
        let hit = self.peek_is(keyword);
        self.at += usize::from(hit);
        hit
    }

    /// `ON CONFLICT <resolution>` after a column constraint (SQLite).
    fn conflict(&mut self) {
        if self.peek_is("ON")
            && self
                .items
                .get(self.at + 1)
                .is_some_and(|i| i.is("CONFLICT"))
        {
            self.at += 3;
            self.at = self.at.min(self.items.len());
        }
    }

    /// A value: an optional sign, then an item, with a call's arguments
    /// (`current_timestamp()`).
    fn value(&mut self) {
        if self
            .peek()
            .is_some_and(|i| i.kind == Kind::Punct && (i.text == "-" || i.text == "+"))
        {
            self.at += 1;
        }
        if let Some(item) = self.next() {
            if item.kind == Kind::Word && self.peek().is_some_and(|i| i.kind == Kind::Group) {
                self.at += 1;
            }
        }
    }

    /// What follows `REFERENCES`: the table, its columns, the actions and deferral.
    fn references(&mut self) {
        self.next();
        if self.peek().is_some_and(|i| i.kind == Kind::Group) {
            self.at += 1;
        }
        loop {
            if self.eat("ON") {
                self.next(); // DELETE or UPDATE
                             // SET NULL, SET DEFAULT and NO ACTION are two words, CASCADE and RESTRICT one.
                let _ = self.eat("SET") || self.eat("NO");
                self.next();
            } else if self.eat("MATCH") {
                self.next();
            } else if self.peek_is("NOT")
                && self
                    .items
                    .get(self.at + 1)
                    .is_some_and(|i| i.is("DEFERRABLE"))
            {
                self.at += 2;
            } else if self.eat("DEFERRABLE") {
            } else if self.eat("INITIALLY") {
                self.next();
            } else {
                break;
            }
        }
    }

    /// Whether a clause starts at the cursor: `CHARACTER` only as MySQL's `CHARACTER SET`
    /// (SQLite's `CHARACTER VARYING(n)` is a type).
    fn at_clause(&self) -> bool {
        match self.peek() {
            Some(item) if item.is("CHARACTER") => self
                .items
                .get(self.at + 1)
                .is_some_and(|next| next.is("SET")),
            Some(item) => starts_clause(item),
            None => true,
        }
    }

    /// Skips to the next clause start.
    fn rest(&mut self) {
        while !self.at_clause() {
            self.at += 1;
        }
    }
}

/// Parses a column definition (`"name" TYPE clause...`).
pub(crate) fn column(source: &str, items: &[Item<'_>]) -> Result<ColumnDef, String> {
    let first = items.first().ok_or("an empty column definition")?;
    let name = first
        .name()
        .ok_or_else(|| format!("a column definition starts with {}", first.text))?;
    let mut cursor = Cursor { items, at: 1 };
    cursor.rest();
    let type_text = span(source, &items[1..cursor.at]).to_string();
    let mut clauses = Vec::new();
    while cursor.peek().is_some() {
        let start = cursor.at;
        let mut constraint_name = None;
        if cursor.eat("CONSTRAINT") {
            constraint_name = cursor.next().and_then(|i| i.name());
        }
        let Some(item) = cursor.next() else { break };
        let kind = match item.keyword().as_deref() {
            Some("PRIMARY") => {
                cursor.eat("KEY");
                let _ = cursor.eat("ASC") || cursor.eat("DESC");
                cursor.conflict();
                cursor.eat("AUTOINCREMENT");
                ClauseKind::PrimaryKey
            }
            Some("NOT") if cursor.peek_is("NULL") => {
                cursor.next();
                cursor.conflict();
                ClauseKind::NotNull
            }
            Some("NULL") => {
                cursor.conflict();
                ClauseKind::Null
            }
            Some("UNIQUE") => {
                cursor.eat("KEY");
                cursor.conflict();
                ClauseKind::Unique
            }
            Some("CHECK") => {
                cursor.next();
                ClauseKind::Check
            }
            Some("DEFAULT") => {
                cursor.value();
                ClauseKind::Default
            }
            Some("COLLATE") => {
                cursor.next();
                ClauseKind::Collate
            }
            Some("REFERENCES") => {
                cursor.references();
                ClauseKind::References
            }
            Some("GENERATED") | Some("AS") => {
                cursor.eat("ALWAYS");
                cursor.eat("AS");
                if cursor.peek().is_some_and(|i| i.kind == Kind::Group) {
                    cursor.next();
                }
                let _ = cursor.eat("STORED") || cursor.eat("VIRTUAL") || cursor.eat("PERSISTENT");
                ClauseKind::Generated
            }
            Some("CHARACTER") => {
                cursor.eat("SET");
                cursor.next();
                ClauseKind::Charset
            }
            Some("CHARSET") => {
                cursor.next();
                ClauseKind::Charset
            }
            Some("ON") if cursor.peek_is("UPDATE") => {
                cursor.next();
                cursor.value();
                ClauseKind::Other
            }
            Some("COMMENT") => {
                cursor.next();
                ClauseKind::Other
            }
            _ => {
                cursor.rest();
                ClauseKind::Other
            }
        };
        clauses.push(Clause {
            kind,
            name: constraint_name,
            text: span(source, &items[start..cursor.at]).to_string(),
        });
    }
    Ok(ColumnDef {
        name,
        name_text: first.text.to_string(),
        type_text,
        clauses,
    })
}

/// A table constraint: `[CONSTRAINT name] PRIMARY KEY (..) | UNIQUE (..) | CHECK (..) |
/// FOREIGN KEY (..) REFERENCES ..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableConstraint {
    pub(crate) name: Option<String>,
    pub(crate) kind: ConstraintKind,
    /// The columns it is on (for a check, every name its expression mentions).
    pub(crate) columns: Vec<String>,
    pub(crate) text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
    /// An index in MySQL's `SHOW CREATE TABLE` (`KEY "name" (..)`).
    Index,
}

/// The names an expression or column list mentions, at any depth.
pub(crate) fn names_in(items: &[Item<'_>]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for item in items {
        match item.kind {
            Kind::Group => out.extend(names_in(&item.inner()?)?),
            Kind::Word | Kind::Quoted => out.extend(item.name()),
            _ => {}
        }
    }
    Ok(out)
}

/// The leading names of a column list's entries (`("a" COLLATE x, b DESC)` gives a, b).
fn column_list(group: &Item<'_>) -> Result<Vec<String>, String> {
    let inner = group.inner()?;
    Ok(inner
        .split(|i| i.kind == Kind::Comma)
        .filter_map(|entry| entry.first().and_then(Item::name))
        .collect())
}

fn table_constraint(source: &str, items: &[Item<'_>]) -> Result<Option<TableConstraint>, String> {
    let mut at = 0;
    let mut name = None;
    if items.first().is_some_and(|i| i.is("CONSTRAINT")) {
        name = items.get(1).and_then(Item::name);
        at = 2;
    }
    let Some(head) = items.get(at) else {
        return Ok(None);
    };
    let kind = match head.keyword().as_deref() {
        Some("PRIMARY") => ConstraintKind::PrimaryKey,
        Some("UNIQUE") => ConstraintKind::Unique,
        Some("CHECK") => ConstraintKind::Check,
        Some("FOREIGN") => ConstraintKind::ForeignKey,
        // MySQL's `SHOW CREATE TABLE` lists the table's indexes among its columns.
        Some("KEY" | "INDEX" | "FULLTEXT" | "SPATIAL") if at == 0 => ConstraintKind::Index,
        _ if at == 2 => return Err(format!("a constraint {} of no known kind", head.text)),
        _ => return Ok(None),
    };
    let group = items[at..]
        .iter()
        .find(|i| i.kind == Kind::Group)
        .ok_or_else(|| format!("the constraint {} has no column list", span(source, items)))?;
    let columns = match kind {
        ConstraintKind::Check => names_in(&group.inner()?)?,
        _ => column_list(group)?,
    };
    Ok(Some(TableConstraint {
        name,
        kind,
        columns,
        text: span(source, items).to_string(),
    }))
}

/// One entry of a `CREATE TABLE`'s list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Element {
    Column(ColumnDef),
    Constraint(TableConstraint),
}

/// A `CREATE TABLE` statement, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableDef {
    pub(crate) elements: Vec<Element>,
    /// What follows the list (` WITHOUT ROWID`, ` STRICT`), as written.
    pub(crate) options: String,
}

impl TableDef {
    pub(crate) fn columns(&self) -> impl Iterator<Item = &ColumnDef> {
        self.elements.iter().filter_map(|e| match e {
            Element::Column(c) => Some(c),
            Element::Constraint(_) => None,
        })
    }

    /// The statement that creates the table as `name` (quoted as given).
    pub(crate) fn create(&self, name: &str) -> String {
        let list: Vec<String> = self
            .elements
            .iter()
            .map(|e| match e {
                Element::Column(c) => c.sql(),
                Element::Constraint(c) => c.text.clone(),
            })
            .collect();
        let mut out = format!("CREATE TABLE {name} ({})", list.join(", "));
        if !self.options.is_empty() {
            out.push(' ');
            out.push_str(&self.options);
        }
        out
    }
}

/// Parses a `CREATE TABLE name (...) options` statement.
pub(crate) fn create_table(sql: &str) -> Result<TableDef, String> {
    let all = items(sql)?;
    let list_at = all
        .iter()
        .position(|i| i.kind == Kind::Group)
        .ok_or("the table is not defined by a column list (CREATE TABLE .. AS SELECT)")?;
    let list = all[list_at];
    let inner_text = &list.text[1..list.text.len() - 1];
    let inner = items(inner_text)?;
    let mut elements = Vec::new();
    for entry in inner.split(|i| i.kind == Kind::Comma) {
        if entry.is_empty() {
            return Err("an empty entry in the column list".into());
        }
        match table_constraint(inner_text, entry)? {
            Some(constraint) => elements.push(Element::Constraint(constraint)),
            None => elements.push(Element::Column(column(inner_text, entry)?)),
        }
    }
    Ok(TableDef {
        elements,
        options: span(sql, &all[list_at + 1..]).to_string(),
    })
}

/// The columns a `CREATE INDEX` statement names (in its column list and `WHERE` clause).
pub(crate) fn index_names(sql: &str) -> Result<Vec<String>, String> {
    let all = items(sql)?;
    let on = all
        .iter()
        .position(|i| i.is("ON"))
        .ok_or("an index without ON")?;
    names_in(all.get(on + 2..).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_table_splits_into_columns_and_constraints() {
        let sql = r#"CREATE TABLE "posts" (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            "title" VARCHAR(100) NOT NULL DEFAULT 'untitled, really', -- a comment, with a comma
            score REAL DEFAULT -1.5 CHECK (score >= -10),
            user_id INTEGER CONSTRAINT posts_user_fk REFERENCES users (id) ON DELETE SET NULL,
            body TEXT COLLATE NOCASE NULL,
            CONSTRAINT posts_title_key UNIQUE ("title"),
            FOREIGN KEY (user_id, "title") REFERENCES users (id, name),
            CHECK (length(title) > 0 AND score < 100)
        ) WITHOUT ROWID, STRICT"#;
        let def = create_table(sql).unwrap();
        let columns: Vec<&ColumnDef> = def.columns().collect();
        assert_eq!(columns.len(), 5);
        assert_eq!(columns[0].name, "id");
        assert_eq!(columns[0].type_text, "INTEGER");
        assert_eq!(columns[0].clauses[0].kind, ClauseKind::PrimaryKey);
        assert_eq!(columns[0].clauses[0].text, "PRIMARY KEY AUTOINCREMENT");
        assert_eq!(columns[1].name, "title");
        assert_eq!(columns[1].type_text, "VARCHAR(100)");
        let kinds: Vec<ClauseKind> = columns[1].clauses.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ClauseKind::NotNull, ClauseKind::Default]);
        assert_eq!(columns[1].clauses[1].text, "DEFAULT 'untitled, really'");
        assert_eq!(columns[2].clauses[0].text, "DEFAULT -1.5");
        assert_eq!(columns[2].clauses[1].kind, ClauseKind::Check);
        assert_eq!(columns[3].clauses[0].name.as_deref(), Some("posts_user_fk"));
        assert_eq!(
            columns[3].clauses[0].text,
            "CONSTRAINT posts_user_fk REFERENCES users (id) ON DELETE SET NULL"
        );
        let kinds: Vec<ClauseKind> = columns[4].clauses.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ClauseKind::Collate, ClauseKind::Null]);
        let constraints: Vec<&TableConstraint> = def
            .elements
            .iter()
            .filter_map(|e| match e {
                Element::Constraint(c) => Some(c),
                Element::Column(_) => None,
            })
            .collect();
        assert_eq!(constraints[0].name.as_deref(), Some("posts_title_key"));
        assert_eq!(constraints[0].columns, ["title"]);
        assert_eq!(constraints[1].kind, ConstraintKind::ForeignKey);
        assert_eq!(constraints[1].columns, ["user_id", "title"]);
        assert!(constraints[2].columns.contains(&"score".to_string()));
        assert_eq!(def.options, "WITHOUT ROWID, STRICT");
        // Written back, each entry is as it was.
        let again = create_table(&def.create("\"posts\"")).unwrap();
        assert_eq!(again, def);
    }

    #[test]
    fn a_mysql_column_line_splits_into_its_clauses() {
        let line = "`name` varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT 'a''b' COMMENT 'the name'";
        let def = column(line, &items(line).unwrap()).unwrap();
        assert_eq!(def.type_text, "varchar(100)");
        let kinds: Vec<ClauseKind> = def.clauses.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                ClauseKind::Charset,
                ClauseKind::Collate,
                ClauseKind::NotNull,
                ClauseKind::Default,
                ClauseKind::Other
            ]
        );
        let line =
            "`at` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()";
        let def = column(line, &items(line).unwrap()).unwrap();
        assert_eq!(def.clauses[1].text, "DEFAULT current_timestamp()");
        assert_eq!(def.clauses[2].text, "ON UPDATE current_timestamp()");
        let create = "CREATE TABLE `t` (\n  `key` int(11) DEFAULT NULL,\n  `b` text,\n  KEY `t_b` (`b`(10)),\n  UNIQUE KEY `t_key` (`key`),\n  CONSTRAINT `t_fk` FOREIGN KEY (`key`) REFERENCES `u` (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
        let def = create_table(create).unwrap();
        let names: Vec<&str> = def.columns().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["key", "b"], "an index line is no column");
        let line = "name CHARACTER VARYING(100) NOT NULL";
        let def = column(line, &items(line).unwrap()).unwrap();
        assert_eq!(def.type_text, "CHARACTER VARYING(100)");
        assert_eq!(def.clauses.len(), 1);
        let line = "`id` int(10) unsigned NOT NULL AUTO_INCREMENT";
        let def = column(line, &items(line).unwrap()).unwrap();
        assert_eq!(def.type_text, "int(10) unsigned");
        assert_eq!(def.sql(), line);
    }

    #[test]
    fn broken_definitions_are_errors() {
        assert!(create_table("CREATE TABLE t (a TEXT DEFAULT 'x)").is_err());
        assert!(create_table("CREATE TABLE t AS SELECT 1").is_err());
        assert!(create_table("CREATE TABLE t (a, , b)").is_err());
        assert!(items("a /* b").is_err());
    }

    #[test]
    fn an_index_names_its_columns() {
        let names =
            index_names(r#"CREATE UNIQUE INDEX "ix" ON "t" ("a", lower(b)) WHERE c > 0"#).unwrap();
        assert!(["a", "lower", "b", "c"]
            .iter()
            .all(|n| names.contains(&n.to_string())));
    }

    #[test]
    fn no_text_makes_the_reader_panic() {
        // Pieces a definition is made of, and pieces that break one, joined at random.
        const PIECES: &[&str] = &[
            "CREATE TABLE ",
            "t",
            "\"q\"\"x\"",
            "`b`",
            "[s]",
            "'it''s'",
            "'\\'",
            "(",
            ")",
            ",",
            " ",
            "\n",
            "-- c\n",
            "--",
            "/* c */",
            "/*",
            "*/",
            "'",
            "\"",
            "`",
            "[",
            "]",
            "é",
            "日本",
            "1.5",
            "-",
            "+",
            ".",
            ";",
            "NOT",
            "NULL",
            "DEFAULT",
            "CONSTRAINT",
            "PRIMARY",
            "KEY",
            "REFERENCES",
            "ON",
            "DELETE",
            "SET",
            "CHECK",
            "UNIQUE",
            "FOREIGN",
            "AS",
            "GENERATED",
            "COLLATE",
            "CHARACTER",
            "COMMENT",
            "INDEX",
            "\\",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let length = next() % 16;
            let text: String = (0..length)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let _ = create_table(&text);
            let _ = index_names(&text);
            if let Ok(all) = items(&text) {
                let _ = column(&text, &all);
                for item in &all {
                    let _ = item.inner();
                }
            }
        }
    }
}
