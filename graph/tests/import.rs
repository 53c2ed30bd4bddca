//! The diesel importer on the two real diesel histories in `shared/corpora/diesel/` (crates.io
//! and lemmy) and on small directories that exercise each of diesel's rules and each error.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::{Path, PathBuf};

use aludel_graph::import::IgnoreReason;
use aludel_graph::{
    load_dir, load_files, parse_revision, parse_revision_file, read_diesel_dir,
    revision_id_for_version, DieselImport, GraphOptions, ImportError,
};

#[path = "support/corpora.rs"]
mod corpora;

/// A diesel history of the corpora (`crates.io`, `lemmy`), or `None` with a note when absent.
fn diesel_corpus(name: &str) -> Option<PathBuf> {
    corpora::corpus(&format!("diesel/{name}"))
}

fn import(name: &str) -> Option<DieselImport> {
    let dir = diesel_corpus(name)?.join("migrations");
    Some(read_diesel_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())))
}

/// `(name, version)` of every migration listed in a corpus's `manifest.json`, and the names
/// under `run_in_transaction_false` (read line by line: the file is pretty-printed JSON).
fn manifest(name: &str) -> (Vec<(String, String)>, Vec<String>) {
    let text = std::fs::read_to_string(diesel_corpus(name).unwrap().join("manifest.json")).unwrap();
    let string_value = |line: &str, key: &str| {
        line.trim()
            .strip_prefix(&format!("\"{key}\": \""))
            .and_then(|rest| rest.strip_suffix("\","))
            .map(str::to_string)
    };
    let mut migrations = Vec::new();
    let mut names = Vec::new();
    for line in text.lines() {
        if let Some(name) = string_value(line, "name") {
            names.push(name);
        } else if let Some(version) = string_value(line, "version") {
            migrations.push((names.pop().unwrap(), version));
        }
    }
    let start = text.find("\"run_in_transaction_false\": [").unwrap();
    let list = &text[start..start + text[start..].find(']').unwrap()];
    let non_transactional = list
        .lines()
        .skip(1)
        .map(|l| l.trim().trim_end_matches(',').trim_matches('"').to_string())
        .filter(|name| !name.is_empty())
        .collect();
    (migrations, non_transactional)
}

/// A section's SQL as aludel's parser returns it: CRLF as LF, without leading and trailing
/// blank lines, ending in a line break unless empty.
fn section(sql: &str) -> String {
    let sql = sql.replace("\r\n", "\n");
    let lines: Vec<&str> = sql.split('\n').collect();
    let start = lines.iter().position(|l| !l.trim().is_empty());
    let end = lines.iter().rposition(|l| !l.trim().is_empty());
    match (start, end) {
        (Some(start), Some(end)) => lines[start..=end].join("\n") + "\n",
        _ => String::new(),
    }
}

fn as_bytes(files: &[(String, String)]) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .map(|(name, text)| (name.clone(), text.clone().into_bytes()))
        .collect()
}

/// Every revision file parses, carries the migration's header values and its SQL unchanged,
/// and the whole set is one linear history with one base and one head.
fn check_revisions(import: &DieselImport) {
    let files = import.to_revisions();
    assert_eq!(files.len(), import.migrations.len());
    let mut previous: Option<String> = None;
    for ((file_name, text), migration) in files.iter().zip(&import.migrations) {
        let revision = parse_revision(file_name, text.as_bytes())
            .unwrap_or_else(|e| panic!("{file_name} does not parse: {e:?}\n{text}"));
        let id = revision_id_for_version(&migration.version);
        assert_eq!(revision.id, id);
        assert!(file_name.starts_with(&format!("{}-{id}", migration.version)));
        assert_eq!(
            revision.down_revisions,
            previous.iter().cloned().collect::<Vec<_>>()
        );
        assert_eq!(revision.message, migration.message());
        assert_eq!(revision.create_date, migration.create_date());
        assert_eq!(revision.transactional, migration.run_in_transaction);
        let sections = parse_revision_file(file_name, text.as_bytes()).unwrap().1;
        assert_eq!(sections.upgrade, section(&migration.up_sql), "{file_name}");
        assert_eq!(
            sections.downgrade,
            migration.down_sql.as_deref().map(section),
            "{file_name}"
        );
        previous = Some(id);
    }

    let graph = load_files(&as_bytes(&files), &GraphOptions::default())
        .unwrap_or_else(|d| panic!("the imported history does not validate:\n{d}"));
    assert_eq!(graph.revisions().len(), import.migrations.len());
    let first = &import.migrations[0].version;
    let last = &import.migrations[import.migrations.len() - 1].version;
    assert_eq!(graph.bases(), vec![revision_id_for_version(first)]);
    assert_eq!(graph.heads(), vec![revision_id_for_version(last)]);
    assert!(graph
        .revisions()
        .iter()
        .all(|r| r.down_revisions.len() <= 1));
    let plan = graph.plan_upgrade(&[], "heads").unwrap();
    let order: Vec<String> = plan
        .steps
        .iter()
        .map(|s| s.revision.map(|r| r.id.clone()).unwrap())
        .collect();
    let expected: Vec<String> = import
        .migrations
        .iter()
        .map(|m| revision_id_for_version(&m.version))
        .collect();
    assert_eq!(order, expected, "the upgrade runs in diesel's order");
}

/// The import matches the corpus's manifest: every migration, with diesel's versions, in
/// ascending string order of the version.
fn check_against_manifest(name: &str, import: &DieselImport) {
    let (listed, non_transactional) = manifest(name);
    let mut by_version = listed.clone();
    by_version.sort_by(|a, b| a.1.cmp(&b.1));
    let found: Vec<(String, String)> = import
        .migrations
        .iter()
        .map(|m| (m.dir_name.clone(), m.version.clone()))
        .collect();
    assert_eq!(found, by_version);
    let found: Vec<&str> = import
        .migrations
        .iter()
        .filter(|m| !m.run_in_transaction)
        .map(|m| m.dir_name.as_str())
        .collect();
    assert_eq!(found, non_transactional);
    for pair in import.migrations.windows(2) {
        assert!(pair[0].version < pair[1].version);
    }
}

#[test]
fn crates_io_imports_as_diesel_reads_it() {
    let Some(import) = import("crates.io") else {
        return;
    };
    assert_eq!(import.migrations.len(), 285);
    check_against_manifest("crates.io", &import);

    // Loose files in migrations/ are reported, not imported.
    let ignored: Vec<(&Path, IgnoreReason)> = import
        .ignored
        .iter()
        .map(|e| (e.path.as_path(), e.reason))
        .collect();
    assert_eq!(
        ignored,
        vec![
            (Path::new("README.md"), IgnoreReason::LooseFile),
            (Path::new("data_oauth_github.sql"), IgnoreReason::LooseFile),
        ]
    );

    // Diesel's string order, not the order of the directory names: `20260527120000` (from
    // `2026-05-27-120000_…`) comes right before `202605271200000000` (`…-120000-0000_…`).
    let position = |dir: &str| {
        import
            .migrations
            .iter()
            .position(|m| m.dir_name == dir)
            .unwrap()
    };
    assert_eq!(
        position("2026-05-27-120000_add_username_to_users") + 1,
        position("2026-05-27-120000-0000_semver_ord_v2_not_null")
    );
    let first = &import.migrations[0];
    assert_eq!(first.dir_name, "00000000000000_diesel_initial_setup");
    assert_eq!(first.revision_id(), "d00000000000000");
    assert_eq!(first.create_date(), None);

    // run_in_transaction = false in seven metadata.toml files.
    let non_transactional = import
        .migrations
        .iter()
        .filter(|m| !m.run_in_transaction)
        .count();
    assert_eq!(non_transactional, 7);

    // Every migration has a down.sql; five are 0 bytes and four hold only comments: all
    // stay reversible with that downgrade.
    assert!(import.migrations.iter().all(|m| m.is_reversible()));
    let down = |dir: &str| import.migrations[position(dir)].down_sql.clone().unwrap();
    for empty in [
        "20140925132250_dumped_migration_8",
        "20140925132253_dumped_migration_11",
        "20140925132254_dumped_migration_12",
        "20140925161625_dumped_migration_17",
        "20141112082527_dumped_migration_89",
    ] {
        assert_eq!(down(empty), "", "{empty}");
    }
    for comments in [
        "2017-09-26-200549_users_lowercase_index",
        "2017-10-06-234455_fix_local_dbs_unique_gh_login",
        "20170728002039_fix_keywords",
        "2019-11-11-162609_drop_email_from_user",
    ] {
        let sql = down(comments);
        assert!(!sql.is_empty(), "{comments}");
        assert!(
            sql.lines()
                .all(|l| l.trim().is_empty() || l.trim().starts_with("--")),
            "{comments}: {sql:?}"
        );
    }

    // The name with spaces.
    let spaced =
        &import.migrations[position("2019-11-15-182353_Add email notifications to crate owners")];
    assert_eq!(spaced.version, "20191115182353");
    assert_eq!(spaced.message(), "Add email notifications to crate owners");
    assert_eq!(
        spaced.file_name(),
        "20191115182353-d20191115182353_add_email_notifications_to_crate_owners.sql"
    );

    check_revisions(&import);
    let files = import.to_revisions();
    let transactional_false = files
        .iter()
        .filter(|(_, text)| text.contains("\n-- transactional: false\n"))
        .count();
    assert_eq!(transactional_false, 7);
    let reversible_empty = files
        .iter()
        .map(|(name, text)| parse_revision_file(name, text.as_bytes()).unwrap().1)
        .filter(|sections| sections.downgrade.as_deref() == Some(""))
        .count();
    assert_eq!(reversible_empty, 5);
}

#[test]
fn lemmy_imports_as_diesel_reads_it() {
    let Some(import) = import("lemmy") else {
        return;
    };
    assert_eq!(import.migrations.len(), 342);
    check_against_manifest("lemmy", &import);
    assert_eq!(import.ignored, Vec::new());
    assert!(import.migrations.iter().all(|m| m.run_in_transaction));
    assert!(import.migrations.iter().all(|m| m.is_reversible()));
    check_revisions(&import);
}

#[test]
fn reimporting_gives_the_same_files() {
    for name in ["crates.io", "lemmy"] {
        let Some(first) = import(name) else {
            continue;
        };
        assert_eq!(first.to_revisions(), import(name).unwrap().to_revisions());
    }
}

#[test]
fn written_files_load_in_diesel_order() {
    for name in ["crates.io", "lemmy"] {
        let Some(import) = import(name) else {
            continue;
        };
        let dir = TempDir::new(&format!("order-{name}"));
        for (file_name, text) in import.to_revisions() {
            dir.write(&file_name, text.as_bytes());
        }
        let history = load_dir(&dir.0, &dir.0, &GraphOptions::default()).unwrap();
        let loaded: Vec<&str> = history
            .graph
            .revisions()
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let expected: Vec<String> = import.migrations.iter().map(|m| m.revision_id()).collect();
        assert_eq!(loaded, expected, "{name}: file order is diesel's order");
    }
}

#[test]
fn recorded_diesel_versions_map_to_revision_ids() {
    let Some(import) = import("crates.io") else {
        return;
    };
    for migration in &import.migrations {
        let id = revision_id_for_version(&migration.version);
        assert_eq!(
            import.migration_for_revision(&id).map(|m| &m.dir_name),
            Some(&migration.dir_name)
        );
    }
    assert_eq!(
        revision_id_for_version("202607151829340000"),
        "d202607151829340000"
    );
    assert!(import.migration_for_revision("nope").is_none());
}

// ---------------------------------------------------------------------------------------------
// Small directories, one rule each.

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("aludel-import-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    fn mkdir(&self, name: &str) {
        std::fs::create_dir_all(self.0.join(name)).unwrap();
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn error_of(dir: &Path) -> ImportError {
    match read_diesel_dir(dir) {
        Ok(import) => panic!("expected an error, got {import:?}"),
        Err(error) => error,
    }
}

#[test]
fn diesel_rules_on_a_small_directory() {
    let dir = TempDir::new("rules");
    dir.write(
        "2017-08-31-230457_create_users/up.sql",
        b"CREATE TABLE users (id INT);\n",
    );
    dir.write(
        "2017-08-31-230457_create_users/down.sql",
        b"DROP TABLE users;\n",
    );
    dir.write(
        "2017-08-31-230457_create_users/notes.txt",
        b"not read by diesel",
    );
    dir.write("2017-08-31-230457_create_users/.keep", b"");
    // No down.sql: irreversible.
    dir.write("20140924113530_first/up.sql", b"SELECT 1;");
    // BOM and CRLF are kept as content; the revision parses the same.
    dir.write(
        "2018-01-01-000000_crlf/up.sql",
        b"\xEF\xBB\xBF-- make t\r\nCREATE TABLE t (x TEXT);\r\n",
    );
    dir.write("2018-01-01-000000_crlf/down.sql", b"DROP TABLE t;\r\n");
    // metadata.toml: false, true, and a file that sets nothing (diesel reads it as false).
    dir.write(
        "2019-01-01-000000_concurrently/up.sql",
        b"CREATE INDEX CONCURRENTLY i ON t (x);\n",
    );
    dir.write(
        "2019-01-01-000000_concurrently/down.sql",
        b"DROP INDEX CONCURRENTLY i;\n",
    );
    dir.write(
        "2019-01-01-000000_concurrently/metadata.toml",
        b"# CREATE INDEX CONCURRENTLY cannot run in a transaction\nrun_in_transaction = false\n",
    );
    dir.write("2019-01-02-000000_explicit_true/up.sql", b"SELECT 2;\n");
    dir.write(
        "2019-01-02-000000_explicit_true/metadata.toml",
        b"run_in_transaction = true\n",
    );
    dir.write("2019-01-03-000000_empty_metadata/up.sql", b"SELECT 3;\n");
    dir.write("2019-01-03-000000_empty_metadata/metadata.toml", b"");
    // Not migrations.
    dir.write("README.md", b"# migrations");
    dir.write("schema.sql", b"SELECT 1;");
    dir.write(".hidden/up.sql", b"SELECT 1;");
    dir.mkdir("2020-01-01-000000_empty");

    let import = read_diesel_dir(&dir.0).unwrap();
    let dirs: Vec<&str> = import
        .migrations
        .iter()
        .map(|m| m.dir_name.as_str())
        .collect();
    assert_eq!(
        dirs,
        vec![
            "20140924113530_first",
            "2017-08-31-230457_create_users",
            "2018-01-01-000000_crlf",
            "2019-01-01-000000_concurrently",
            "2019-01-02-000000_explicit_true",
            "2019-01-03-000000_empty_metadata",
        ]
    );
    let transactional: Vec<bool> = import
        .migrations
        .iter()
        .map(|m| m.run_in_transaction)
        .collect();
    assert_eq!(transactional, vec![true, true, true, false, true, false]);
    let ignored: Vec<(String, IgnoreReason)> = import
        .ignored
        .iter()
        .map(|e| (e.path.to_str().unwrap().to_string(), e.reason))
        .collect();
    assert_eq!(
        ignored,
        vec![
            (".hidden".to_string(), IgnoreReason::Hidden),
            (
                "2017-08-31-230457_create_users/.keep".to_string(),
                IgnoreReason::Hidden
            ),
            (
                "2017-08-31-230457_create_users/notes.txt".to_string(),
                IgnoreReason::NotRead
            ),
            (
                "2020-01-01-000000_empty".to_string(),
                IgnoreReason::EmptyDirectory
            ),
            ("README.md".to_string(), IgnoreReason::LooseFile),
            ("schema.sql".to_string(), IgnoreReason::LooseFile),
        ]
    );
    let crlf = &import.migrations[2];
    assert_eq!(crlf.up_sql, "-- make t\r\nCREATE TABLE t (x TEXT);\r\n");

    check_revisions(&import);
    let files = import.to_revisions();
    let first = parse_revision(&files[0].0, files[0].1.as_bytes()).unwrap();
    assert!(!first.is_reversible(), "no down.sql: irreversible");
    assert!(!files[0].1.contains("-- downgrade"));
    let first = parse_revision_file(&files[0].0, files[0].1.as_bytes())
        .unwrap()
        .1;
    assert_eq!(first.upgrade, "SELECT 1;\n");
    let crlf = parse_revision_file(&files[2].0, files[2].1.as_bytes())
        .unwrap()
        .1;
    assert_eq!(crlf.upgrade, "-- make t\nCREATE TABLE t (x TEXT);\n");
    assert_eq!(
        files[1].1,
        "-- revision: d20170831230457\n\
         -- down_revision: d20140924113530\n\
         -- message: create users\n\
         -- create_date: 2017-08-31T23:04:57Z\n\
         \n\
         -- Imported from the diesel migration `2017-08-31-230457_create_users` (diesel version 20170831230457).\n\
         -- The upgrade section is its up.sql, the downgrade section its down.sql.\n\
         \n\
         -- upgrade\n\
         CREATE TABLE users (id INT);\n\
         \n\
         -- downgrade\n\
         DROP TABLE users;\n"
    );
    assert_eq!(
        files[1].0,
        "20170831230457-d20170831230457_create_users.sql"
    );
}

#[test]
fn duplicate_version_names_both_directories() {
    let dir = TempDir::new("duplicate");
    dir.write("2017-08-31-230457_a/up.sql", b"SELECT 1;\n");
    dir.write("20170831230457_b/up.sql", b"SELECT 2;\n");
    dir.write("20170901000000_c/up.sql", b"SELECT 3;\n");
    let error = error_of(&dir.0);
    match &error {
        ImportError::DuplicateVersion {
            version,
            directories,
        } => {
            assert_eq!(version, "20170831230457");
            assert_eq!(
                directories,
                &vec![
                    dir.path("2017-08-31-230457_a"),
                    dir.path("20170831230457_b")
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("2017-08-31-230457_a`"), "{message}");
    assert!(message.contains("20170831230457_b`"), "{message}");
    assert!(message.contains("rename one"), "{message}");
}

#[test]
fn bad_metadata_names_file_and_line() {
    let dir = TempDir::new("metadata");
    dir.write("20170101000000_a/up.sql", b"SELECT 1;\n");
    dir.write(
        "20170101000000_a/metadata.toml",
        b"# settings\nrun_in_transaction = no\n",
    );
    let error = error_of(&dir.0);
    match &error {
        ImportError::Metadata { path, line, .. } => {
            assert_eq!(path, &dir.path("20170101000000_a/metadata.toml"));
            assert_eq!(*line, 2);
        }
        other => panic!("{other:?}"),
    }
    let message = error.to_string();
    assert!(
        message
            .contains("metadata.toml:2: `run_in_transaction` must be `true` or `false`, not `no`"),
        "{message}"
    );

    dir.write(
        "20170101000000_a/metadata.toml",
        b"run_in_transaction = false\nsomething_else = 1\n",
    );
    let message = error_of(&dir.0).to_string();
    assert!(
        message.contains("metadata.toml:2: unknown key `something_else`"),
        "{message}"
    );
}

#[test]
fn non_utf8_sql_names_the_file() {
    let dir = TempDir::new("utf8");
    dir.write("20170101000000_a/up.sql", b"SELECT 1;\nSELECT '\xff';\n");
    match error_of(&dir.0) {
        ImportError::NotUtf8 { path, line, column } => {
            assert_eq!(path, dir.path("20170101000000_a/up.sql"));
            assert_eq!((line, column), (2, 9));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn marker_like_lines_are_refused_with_file_and_line() {
    let dir = TempDir::new("marker");
    dir.write(
        "20170101000000_a/up.sql",
        b"CREATE TABLE t (x INT);\n-- Upgrade:\nSELECT 1;\n",
    );
    dir.write("20170101000000_a/down.sql", b"DROP TABLE t;\n");
    let error = error_of(&dir.0);
    match &error {
        ImportError::MarkerLikeLine {
            path,
            line,
            text,
            marker,
        } => {
            assert_eq!(path, &dir.path("20170101000000_a/up.sql"));
            assert_eq!(*line, 2);
            assert_eq!(text, "-- Upgrade:");
            assert_eq!(*marker, "-- upgrade");
        }
        other => panic!("{other:?}"),
    }
    assert!(error
        .to_string()
        .contains("up.sql:2: the line `-- Upgrade:`"));

    // A comment that only mentions the word is fine.
    dir.write(
        "20170101000000_a/up.sql",
        b"CREATE TABLE t (x INT);\n-- upgrade the data\nSELECT 1;\n",
    );
    let import = read_diesel_dir(&dir.0).unwrap();
    check_revisions(&import);
}

#[test]
fn a_directory_without_up_sql_is_refused_as_diesel_does() {
    // diesel_migrations: `FileBasedMigrations::from_path` returns
    // `MigrationError::UnknownMigrationFormat(path)` for every migration directory for which
    // `migrations_internals::valid_sql_migration_directory` is false, i.e. whose non-hidden
    // entries include no `up.sql` (diesel-rs/diesel, diesel_migrations/src/file_based_migrations.rs
    // and diesel_migrations/migrations_internals/src/lib.rs). A directory with no entries at all
    // is skipped by `migrations_directories`, but one holding only `.keep` is not.
    let dir = TempDir::new("no-up");
    dir.write("20170101000000_a/up.sql", b"SELECT 1;\n");
    dir.write("20170102000000_only_down/down.sql", b"SELECT 1;\n");
    dir.write("20170103000000_keep/.keep", b"");
    dir.mkdir("20170104000000_empty");
    let error = error_of(&dir.0);
    let problems = error.problems();
    assert_eq!(problems.len(), 2, "{error}");
    match (problems[0], problems[1]) {
        (ImportError::MissingUpSql { path: first }, ImportError::MissingUpSql { path: second }) => {
            assert_eq!(first, &dir.path("20170102000000_only_down"));
            assert_eq!(second, &dir.path("20170103000000_keep"));
        }
        other => panic!("{other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.starts_with("2 problems in the diesel migrations:\n- "),
        "{message}"
    );
    assert!(message.contains("has no up.sql"), "{message}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let dir = TempDir::new("many");
    dir.write("20170101000000_a/up.sql", b"-- downgrade\n");
    dir.write("20170101000000_a/down.sql", b"--upgrade\n");
    dir.write("20170102000000_b/up.sql", b"SELECT 1;\n");
    dir.write("20170102000000_b/metadata.toml", b"[table]\n");
    dir.write("2017-01-02-000000_c/up.sql", b"SELECT 1;\n");
    let problems: Vec<String> = error_of(&dir.0)
        .problems()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(problems[0].contains("20170101000000_a/up.sql:1: the line `-- downgrade`"));
    assert!(problems[1].contains("20170101000000_a/down.sql:1: the line `--upgrade`"));
    assert!(problems[2].contains("20170102000000_b/metadata.toml:1: expected"));
    assert!(problems[3].contains("have the same version `20170102000000`"));
}

#[test]
fn an_empty_or_missing_directory_is_an_error() {
    let dir = TempDir::new("empty");
    dir.write("README.md", b"nothing yet");
    let error = error_of(&dir.0);
    assert!(
        matches!(error, ImportError::NoMigrations { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("no diesel migrations in"));
    let error = error_of(&dir.path("missing"));
    assert!(matches!(error, ImportError::ReadDir { .. }), "{error:?}");
    assert!(error.to_string().contains("missing`"), "{error}");
}

#[cfg(unix)]
#[test]
fn a_non_utf8_directory_name_is_an_error() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("name");
    let name = std::ffi::OsStr::from_bytes(b"20170101000000_\xff");
    std::fs::create_dir_all(dir.0.join(name)).unwrap();
    std::fs::write(dir.0.join(name).join("up.sql"), b"SELECT 1;\n").unwrap();
    let error = error_of(&dir.0);
    assert!(
        matches!(error, ImportError::NonUtf8Name { .. }),
        "{error:?}"
    );
}
