//! The newcomer's path through the command line, end to end on SQLite: init, two revisions,
//! upgrade, current, history, downgrade -1, a branch, a merge, the offline SQL.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::Path;

use aludel_tests::TempDir;

mod common;

/// `aludel args...` in `dir` on `app.db`, no colours, which must succeed: stdout, stderr.
fn aludel(dir: &Path, args: &[&str]) -> (String, String) {
    let run = common::run(
        dir,
        &[("DATABASE_URL", Some("app.db")), ("NO_COLOR", Some("1"))],
        &[],
        args,
    );
    assert!(
        run.code == Some(0),
        "aludel {args:?} failed:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"));
    (run.stdout, run.stderr)
}

/// Writes SQL into a new revision file's sections.
fn fill(dir: &Path, file: &str, upgrade: &str, downgrade: &str) {
    let path = dir.join(file.trim());
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replace("-- upgrade\n", &format!("-- upgrade\n{upgrade}\n"))
        .replace("-- downgrade\n", &format!("-- downgrade\n{downgrade}\n"));
    std::fs::write(path, text).unwrap();
}

#[test]
fn init_revise_upgrade_branch_merge_and_print_sql() {
    let dir = TempDir::new("aludel-newcomer");
    let d = &dir.0;
    aludel(d, &["init"]);
    let (first, _) = aludel(
        d,
        &["revision", "-m", "create users", "--rev-id", "a1a1a1a1a1a1"],
    );
    fill(
        d,
        &first,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        "DROP TABLE users;",
    );
    let (second, _) = aludel(
        d,
        &["revision", "-m", "create posts", "--rev-id", "b2b2b2b2b2b2"],
    );
    fill(
        d,
        &second,
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        "DROP TABLE posts;",
    );
    assert!(std::fs::read_to_string(d.join(second.trim()))
        .unwrap()
        .contains("-- down_revision: a1a1a1a1a1a1"));

    let (_, up) = aludel(d, &["upgrade", "head"]);
    assert!(
        up.contains("upgrade <base> -> a1a1a1a1a1a1, create users")
            && up.contains("database at b2b2b2b2b2b2"),
        "{up}"
    );
    let (current, _) = aludel(d, &["current"]);
    assert_eq!(current, "b2b2b2b2b2b2 (head)\n");
    let (history, _) = aludel(d, &["history"]);
    assert_eq!(
        history,
        "a1a1a1a1a1a1 -> b2b2b2b2b2b2 (head), create posts\n<base> -> a1a1a1a1a1a1, create users\n"
    );
    let (_, down) = aludel(d, &["downgrade", "-1"]);
    assert!(down.contains("database at a1a1a1a1a1a1"), "{down}");

    // A second developer branches from the first revision; the branch is declared by a label.
    let (branch, _) = aludel(
        d,
        &[
            "revision",
            "-m",
            "add tags",
            "--rev-id",
            "c3c3c3c3c3c3",
            "--head",
            "a1a1a1a1a1a1",
            "--splice",
            "--branch-label",
            "tags",
        ],
    );
    fill(
        d,
        &branch,
        "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
        "DROP TABLE tags;",
    );
    let (heads, _) = aludel(d, &["heads"]);
    assert_eq!(heads.lines().count(), 2, "{heads}");
    let (_, up) = aludel(d, &["upgrade", "heads"]);
    assert!(
        up.contains("database at b2b2b2b2b2b2, c3c3c3c3c3c3"),
        "{up}"
    );
    aludel(
        d,
        &[
            "merge",
            "heads",
            "-m",
            "merge tags",
            "--rev-id",
            "d4d4d4d4d4d4",
        ],
    );
    let (_, up) = aludel(d, &["upgrade", "head"]);
    assert!(up.contains("database at d4d4d4d4d4d4"), "{up}");
    aludel(d, &["check"]);

    // The DBA's script, without a database.
    let (sql, _) = aludel(
        d,
        &[
            "upgrade",
            "head",
            "--sql",
            "--database-url",
            "postgres://app:secret@127.0.0.1:1/nowhere",
        ],
    );
    assert!(
        sql.contains("CREATE TABLE users")
            && sql
                .contains("INSERT INTO \"alembic_version\" (version_num) VALUES ('a1a1a1a1a1a1');"),
        "{sql}"
    );
    assert!(
        sql.contains("DELETE FROM \"alembic_version\" WHERE version_num = 'b2b2b2b2b2b2';"),
        "the merge: {sql}"
    );
}
