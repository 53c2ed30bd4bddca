//! A Rust revision's changes to existing tables: `alter_column`, constraints added to and
//! dropped from a table, and `batch_alter_table`, on every backend, checked through each
//! database's catalogue; SQLite's rebuild of a table with an index, a trigger, a view and
//! foreign keys in and out.

use aludel::{Dialect, Direction, Error};
use aludel_tests::{Backend, Conn, TestDb};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

/// `users` and `posts` with rows, then a Rust revision that changes their columns and
/// constraints.
static ALTER: aludel::Migrations = aludel::embed_migrations!("fixtures/rust_alter/versions");

/// Each column of a table as `name type [not null] [default X]`, from the catalogue.
fn describe(conn: &mut Conn, backend: Backend, table: &str) -> Vec<String> {
    conn.strings(&match backend {
        Backend::Sqlite => format!("SELECT name || ' ' || lower(type) || CASE WHEN \"notnull\" THEN ' not null' ELSE '' END || COALESCE(' default ' || dflt_value, '') AS a FROM pragma_table_info('{table}') ORDER BY cid"),
        Backend::Postgres => format!("SELECT CAST(column_name AS TEXT) || ' ' || CAST(data_type AS TEXT) || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END || COALESCE(' default ' || CAST(column_default AS TEXT), '') AS a FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position"),
        Backend::Mysql => format!("SELECT CAST(CONCAT(column_name, ' ', data_type, IF(is_nullable = 'NO', ' not null', ''), IF(column_default IS NULL OR column_default = 'NULL', '', CONCAT(' default ', column_default))) AS CHAR) AS a FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{table}' ORDER BY ordinal_position"),
    })
}

/// The names of a table's constraints other than its primary key, sorted.
fn constraints_of(conn: &mut Conn, backend: Backend, table: &str) -> Vec<String> {
    match backend {
        // SQLite knows a constraint's name only in the table's definition.
        Backend::Sqlite => {
            let sql = conn.strings(&format!(
                "SELECT sql AS a FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
            ));
            let sql = sql.first().cloned().unwrap_or_default();
            let mut names: Vec<String> = sql
                .split("CONSTRAINT \"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next().map(str::to_string))
                .collect();
            names.sort();
            names
        }
        Backend::Postgres => conn.strings(&format!("SELECT CAST(conname AS TEXT) AS a FROM pg_constraint WHERE conrelid = CAST('{table}' AS regclass) AND contype <> 'p' AND contype <> 'n' ORDER BY 1")),
        Backend::Mysql => conn.strings(&format!("SELECT CAST(constraint_name AS CHAR) AS a FROM information_schema.table_constraints WHERE table_schema = DATABASE() AND table_name = '{table}' AND constraint_type <> 'PRIMARY KEY' ORDER BY 1")),
    }
}

fn count(conn: &mut Conn, sql: &str) -> usize {
    conn.strings(&format!(
        "SELECT CAST(COUNT(*) AS CHAR(20)) AS a FROM ({sql}) AS counted"
    ))
    .first()
    .and_then(|n| n.trim().parse().ok())
    .unwrap_or(usize::MAX)
}

#[test]
fn columns_and_constraints_change_and_change_back_on_every_backend() {
    for db in aludel_tests::backends() {
        let backend = db.backend;
        let what = format!("{backend:?}");
        let mut conn = db.connect();
        let before_users = describe(&mut conn, backend, "users");
        assert!(before_users.is_empty(), "{what}");
        aludel_tests::with_conn!(&mut conn, c => ALTER.upgrade(c, "t1")).unwrap();
        let users_at_t1 = describe(&mut conn, backend, "users");
        let posts_at_t1 = describe(&mut conn, backend, "posts");

        aludel_tests::with_conn!(&mut conn, c => ALTER.run_pending(c)).unwrap();
        assert_eq!(conn.versions(), ["t2"], "{what}");
        let users = describe(&mut conn, backend, "users");
        let (bigint, text) = match backend {
            // SQLite's BIGINT is INTEGER, as diesel's schema expects for a BigInt.
            Backend::Sqlite => ("integer", "text"),
            Backend::Postgres | Backend::Mysql => ("bigint", "text"),
        };
        assert!(users[0].starts_with("id "), "{what}: {users:?}");
        assert!(
            users[1].starts_with("name ") && users[1].contains(" not null"),
            "{what}: {users:?}"
        );
        assert!(
            users[2].starts_with(&format!("age {bigint} not null default"))
                && users[2].trim_end_matches(['\'', ')']).ends_with('0'),
            "{what}: {users:?}"
        );
        let posts = describe(&mut conn, backend, "posts");
        assert_eq!(posts.len(), 4, "{what}: {posts:?}");
        assert!(
            posts[2].starts_with(&format!("title {text}")),
            "{what}: {posts:?}"
        );
        assert!(
            posts[3].starts_with("score ") && posts[3].contains(" not null default"),
            "{what}: {posts:?}"
        );
        let constraints = |conn: &mut Conn| {
            [
                constraints_of(conn, backend, "users"),
                constraints_of(conn, backend, "posts"),
            ]
        };
        assert_eq!(
            constraints(&mut conn),
            [
                vec!["users_age_check", "users_code_key"],
                vec!["posts_user_id_fkey"]
            ],
            "{what}"
        );
        // The rows are all there, with the backfilled age and the new column's default.
        assert_eq!(
            count(&mut conn, "SELECT id FROM users WHERE (id = 1 AND age = 36 AND name = 'ada') OR (id = 2 AND age = 0 AND name = 'bob')"),
            2,
            "{what}"
        );
        assert_eq!(
            count(
                &mut conn,
                "SELECT id FROM posts WHERE score = 0 AND title IN ('first', 'second')"
            ),
            2,
            "{what}"
        );
        // The changes hold.
        for (sql, why) in [
            (
                "INSERT INTO users (id, name, age, code) VALUES (3, NULL, 1, 'c')",
                "name is NOT NULL",
            ),
            (
                "INSERT INTO users (id, name, age, code) VALUES (3, 'cy', -1, 'c')",
                "the check",
            ),
            (
                "INSERT INTO users (id, name, age, code) VALUES (3, 'cy', 1, 'a')",
                "code is unique",
            ),
            (
                "INSERT INTO users (id, name, age, code) VALUES (3, 'cy', NULL, 'c')",
                "age is NOT NULL",
            ),
        ] {
            assert!(conn.batch(sql).is_err(), "{what}: {why}");
        }
        conn.batch("INSERT INTO users (id, name, code) VALUES (3, 'cy', 'c')")
            .unwrap();
        assert_eq!(
            count(&mut conn, "SELECT id FROM users WHERE id = 3 AND age = 0"),
            1,
            "{what}: age's default"
        );
        match backend {
            Backend::Sqlite => assert_eq!(
                conn.strings("SELECT \"table\" || ' ' || on_delete AS a FROM pragma_foreign_key_list('posts')"),
                ["users CASCADE"],
                "{what}"
            ),
            _ => {
                assert!(
                    conn.batch("INSERT INTO posts (id, user_id, title) VALUES (9, 99, 'x')")
                        .is_err(),
                    "{what}: the foreign key holds"
                );
                conn.batch("DELETE FROM users WHERE id = 3").unwrap();
            }
        }
        if backend == Backend::Sqlite {
            conn.batch("DELETE FROM users WHERE id = 3").unwrap();
        }

        aludel_tests::with_conn!(&mut conn, c => ALTER.downgrade(c, "t1")).unwrap();
        assert_eq!(conn.versions(), ["t1"], "{what}");
        assert_eq!(constraints(&mut conn), [[""; 0], [""; 0]], "{what}");
        let normalise = |rows: Vec<String>| -> Vec<String> {
            // MySQL's catalogue and SQLite's rebuilt definition may spell an unchanged column
            // the same way only up to case.
            rows.into_iter().map(|r| r.to_lowercase()).collect()
        };
        assert_eq!(
            normalise(describe(&mut conn, backend, "users")),
            normalise(users_at_t1.clone()),
            "{what}: users as before"
        );
        assert_eq!(
            normalise(describe(&mut conn, backend, "posts")),
            normalise(posts_at_t1.clone()),
            "{what}: posts as before"
        );
        assert_eq!(
            count(
                &mut conn,
                "SELECT id FROM users WHERE (id = 1 AND age = 36) OR (id = 2 AND age = 0)"
            ),
            2,
            "{what}: the rows stay"
        );
        conn.batch("INSERT INTO users (id, name, age, code) VALUES (4, NULL, -1, 'a')")
            .unwrap();
    }
}

#[test]
fn changes_that_read_the_database_are_refused_offline_by_name() {
    for dialect in [Dialect::Sqlite, Dialect::Mysql] {
        let error = ALTER.sql(dialect, Direction::Upgrade, "heads").unwrap_err();
        match &error {
            Error::OfflineNeedsDatabase { revision, why, .. } => {
                assert_eq!(revision, "t2");
                assert!(why.contains("users"), "{why}");
            }
            other => panic!("{dialect:?}: {other:?}"),
        }
        assert!(
            error.to_string().contains("needs a live database"),
            "{error}"
        );
    }
    // PostgreSQL's ALTER TABLE says everything itself.
    let script = ALTER
        .sql(Dialect::Postgres, Direction::Upgrade, "heads")
        .unwrap();
    for expected in [
        r#"ALTER TABLE "users" ALTER COLUMN "age" TYPE BIGINT USING "age"::BIGINT, ALTER COLUMN "age" SET NOT NULL, ALTER COLUMN "age" SET DEFAULT 0;"#,
        r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE;"#,
        r#"ALTER TABLE "users" ADD CONSTRAINT "users_age_check" CHECK (age >= 0);"#,
        r#"ALTER TABLE "posts" ADD COLUMN "score" INTEGER NOT NULL DEFAULT 0;"#,
    ] {
        assert!(script.contains(expected), "{expected}\n{script}");
    }
}

/// `members` (referenced by `tasks`, referencing `teams`, with an index, a trigger, a view and
/// a check), then a Rust revision that rebuilds it.
static BATCH: aludel::Migrations = aludel::embed_migrations!("fixtures/rust_batch/versions");
/// The same tables, then a revision whose rebuild fails on a row.
static BATCH_FAILING: aludel::Migrations =
    aludel::embed_migrations!("fixtures/rust_batch_failing/versions");
/// The same tables, then a revision that deletes a team while foreign keys are off.
static ORPHANS: aludel::Migrations = aludel::embed_migrations!("fixtures/rust_orphans/versions");

fn sqlite_with_foreign_keys(db: &TestDb) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(&db.url).unwrap();
    conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
    conn
}

fn foreign_keys_on(conn: &mut SqliteConnection) -> bool {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct On {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        foreign_keys: i32,
    }
    let rows: Vec<On> = diesel::sql_query("PRAGMA foreign_keys").load(conn).unwrap();
    rows.first().is_some_and(|r| r.foreign_keys == 1)
}

/// The objects of the schema, as `type name: sql`, in creation order but for the rebuilt
/// table's, which are sorted.
fn schema(conn: &mut Conn) -> Vec<String> {
    let mut rows = conn.strings(
        "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') AS a FROM sqlite_master ORDER BY type, name",
    );
    rows.retain(|r| !r.starts_with("table sqlite_sequence"));
    rows
}

#[test]
fn sqlite_rebuilds_a_table_with_its_index_trigger_view_and_foreign_keys() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut sqlite = sqlite_with_foreign_keys(&db);
    BATCH.upgrade(&mut sqlite, "b1").unwrap();
    let mut conn = db.connect();
    let at_b1 = schema(&mut conn);

    BATCH.run_pending(&mut sqlite).unwrap();
    // The caller's connection has its foreign keys on again.
    assert!(foreign_keys_on(&mut sqlite));
    assert_eq!(conn.versions(), ["b2"]);
    let sql = conn.strings("SELECT sql AS a FROM sqlite_master WHERE name = 'members'");
    let sql = &sql[0];
    for kept in [
        "AUTOINCREMENT",
        "REFERENCES teams (id) ON DELETE CASCADE",
        "COLLATE NOCASE",
        "CHECK (length(name) > 0)",
        "VARCHAR(50)",
        r#"CONSTRAINT "members_joined_check" CHECK (joined <> '')"#,
    ] {
        assert!(sql.contains(kept), "{kept}: {sql}");
    }
    assert!(
        !sql.contains("nick") && !sql.contains("_aludel_batch"),
        "{sql}"
    );
    assert_eq!(
        conn.strings("SELECT name AS a FROM pragma_table_info('members') ORDER BY cid"),
        ["id", "team_id", "name", "joined"]
    );
    // Every row, with the new column's default.
    assert_eq!(
        conn.strings("SELECT id || ' ' || COALESCE(team_id, '-') || ' ' || name || ' ' || joined AS a FROM members ORDER BY id"),
        ["1 1 ada 2026", "2 2 bob 2026", "3 - cy 2026"]
    );
    // The index on the dropped column went with it; the other is back.
    assert_eq!(
        conn.strings("SELECT name AS a FROM pragma_index_list('members') WHERE origin = 'c'"),
        ["members_name"]
    );
    // The tasks that reference members survived the old table's drop (no cascade fired), and
    // every foreign key holds.
    assert_eq!(count(&mut conn, "SELECT id FROM tasks"), 2);
    assert!(conn
        .strings("SELECT \"table\" AS a FROM pragma_foreign_key_check")
        .is_empty());
    // The view and the trigger work on the new table.
    assert_eq!(
        conn.strings("SELECT name || ' ' || team AS a FROM member_names ORDER BY name"),
        ["ada red", "bob blue"]
    );
    conn.batch("INSERT INTO members (team_id, name) VALUES (1, 'dee')")
        .unwrap();
    // The trigger fired for the new row, and not for the rows the rebuild copied.
    assert_eq!(
        conn.strings("SELECT what AS a FROM audit ORDER BY rowid"),
        [
            "member ada",
            "member bob",
            "member cy",
            "member gone",
            "member dee"
        ]
    );
    // The view's INSTEAD OF trigger is back, and the generated column computes.
    conn.batch("UPDATE member_names SET name = 'x' WHERE name = 'ada'")
        .unwrap();
    assert_eq!(conn.strings("SELECT old AS a FROM renames"), ["ada"]);
    assert_eq!(
        conn.strings("SELECT initial AS a FROM members WHERE id = 2"),
        ["b"]
    );
    assert_eq!(
        count(&mut conn, "SELECT id FROM members WHERE id = 10"),
        1,
        "AUTOINCREMENT goes on from the old table's sequence"
    );
    assert!(conn
        .batch("INSERT INTO members (name) VALUES ('')")
        .is_err());
    assert!(conn
        .batch("INSERT INTO members (name, joined) VALUES ('eve', '')")
        .is_err());
    // Foreign keys in and out still act (on a connection that enforces them).
    sqlite
        .batch_execute("DELETE FROM teams WHERE id = 2")
        .unwrap();
    assert_eq!(
        count(&mut conn, "SELECT id FROM members WHERE team_id = 2"),
        0
    );
    assert_eq!(
        count(&mut conn, "SELECT id FROM tasks WHERE member_id = 2"),
        0
    );
    sqlite
        .batch_execute("DELETE FROM members WHERE name = 'dee'")
        .unwrap();

    BATCH.downgrade(&mut sqlite, "b1").unwrap();
    assert_eq!(conn.versions(), ["b1"]);
    let at_b1_again = schema(&mut conn);
    let differences: Vec<(&String, &String)> = at_b1
        .iter()
        .zip(&at_b1_again)
        .filter(|(a, b)| a != b)
        .collect();
    // Only the texts that op wrote differ: the members table's and the index created again.
    assert_eq!(at_b1.len(), at_b1_again.len(), "{at_b1_again:#?}");
    assert!(
        differences
            .iter()
            .all(|(a, _)| a.starts_with("table members:") || a.starts_with("index members_nick:")),
        "{differences:#?}"
    );
    assert_eq!(
        conn.strings("SELECT name AS a FROM pragma_table_info('members') ORDER BY cid"),
        ["id", "team_id", "name", "nick"]
    );
    assert_eq!(
        conn.strings(
            "SELECT name AS a FROM pragma_index_list('members') WHERE origin = 'c' ORDER BY name"
        ),
        ["members_name", "members_nick"]
    );
}

#[test]
fn a_rebuild_that_fails_leaves_the_table_as_it_was() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut sqlite = sqlite_with_foreign_keys(&db);
    BATCH_FAILING.upgrade(&mut sqlite, "b1").unwrap();
    let mut conn = db.connect();
    let before = schema(&mut conn);
    let error = BATCH_FAILING.run_pending(&mut sqlite).unwrap_err();
    match &error {
        Error::RevisionFailed { revision, .. } => assert_eq!(revision, "b2"),
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("NOT NULL"), "{error}");
    assert_eq!(conn.versions(), ["b1"]);
    assert_eq!(schema(&mut conn), before, "no half-done table");
    assert_eq!(
        conn.strings("SELECT id || ' ' || COALESCE(team_id, '-') || ' ' || name AS a FROM people ORDER BY id"),
        ["1 1 ada", "2 - bob"]
    );
    assert_eq!(
        conn.strings("SELECT name AS a FROM named ORDER BY name"),
        ["ada", "bob"]
    );
}

#[test]
fn a_revision_that_leaves_a_dangling_foreign_key_fails_on_sqlite() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut sqlite = sqlite_with_foreign_keys(&db);
    let error = ORPHANS.run_pending(&mut sqlite).unwrap_err();
    assert!(
        error.to_string().contains("foreign keys point at nothing")
            && error.to_string().contains("members row 2 references teams"),
        "{error}"
    );
    let mut conn = db.connect();
    assert_eq!(conn.versions(), ["b1"]);
    assert_eq!(
        conn.strings("SELECT CAST(team_id AS TEXT) AS a FROM members ORDER BY id"),
        ["1", "2"],
        "rolled back"
    );
    assert_eq!(count(&mut conn, "SELECT id FROM teams"), 2);
    assert!(foreign_keys_on(&mut sqlite));
}

#[test]
fn inside_the_callers_transaction_a_rebuild_of_a_referenced_table_is_refused() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut sqlite = sqlite_with_foreign_keys(&db);
    BATCH.upgrade(&mut sqlite, "b1").unwrap();
    let result = sqlite.transaction(|c| BATCH.run_pending(c));
    let error = result.unwrap_err();
    assert!(
        error.to_string().contains("tasks") && error.to_string().contains("caller's transaction"),
        "{error}"
    );
    let mut conn = db.connect();
    assert_eq!(conn.versions(), ["b1"]);
    // Without foreign keys enforced, the same run inside the caller's transaction rebuilds.
    sqlite.batch_execute("PRAGMA foreign_keys = OFF").unwrap();
    sqlite.transaction(|c| BATCH.run_pending(c)).unwrap();
    assert_eq!(conn.versions(), ["b2"]);
    assert_eq!(count(&mut conn, "SELECT id FROM tasks"), 2);
}

/// Every operation of a Rust revision.
static OPS: aludel::Migrations = aludel::embed_migrations!("fixtures/rust_ops/versions");

/// Compares an offline script with its snapshot in `fixtures/offline/NAME.sql`;
/// `ALUDEL_UPDATE_SNAPSHOTS=1` writes the snapshot instead (review the diff).
fn snapshot(name: &str, script: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/offline")
        .join(format!("{name}.sql"));
    if std::env::var("ALUDEL_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, script).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with ALUDEL_UPDATE_SNAPSHOTS=1 to write it",
            path.display()
        )
    });
    assert!(
        script == expected,
        "{name}: the script differs from {}:\n{script}",
        path.display()
    );
}

#[test]
fn offline_scripts_of_rust_revisions_match_their_snapshots_per_dialect() {
    let script = |dialect, direction, range| {
        let script = OPS.sql(dialect, direction, range).unwrap();
        // The 1,200 rows of `notes` are three long statements: the snapshot keeps their
        // beginnings.
        let rows = ["VALUES (0, ", "VALUES (500, ", "VALUES (1000, "];
        script
            .lines()
            .map(
                |line| match rows.iter().find_map(|start| line.find(start)) {
                    Some(at) => {
                        let kept: String = line[at..].chars().take(30).collect();
                        format!("{}{kept} ...;\n", &line[..at])
                    }
                    None => format!("{line}\n"),
                },
            )
            .collect::<String>()
    };
    for (dialect, name) in [(Dialect::Sqlite, "sqlite"), (Dialect::Mysql, "mysql")] {
        snapshot(
            &format!("ops-upgrade.{name}"),
            &script(dialect, Direction::Upgrade, "heads"),
        );
        snapshot(
            &format!("ops-downgrade.{name}"),
            &script(dialect, Direction::Downgrade, "o2:o1"),
        );
    }
    // PostgreSQL's differs from SQLite's in one type only.
    assert_eq!(
        script(Dialect::Postgres, Direction::Upgrade, "heads"),
        script(Dialect::Sqlite, Direction::Upgrade, "heads").replace(
            r#"CREATE TABLE "drafts" ("id" INTEGER"#,
            r#"CREATE TABLE "drafts" ("id" BIGINT"#
        )
    );
    assert_eq!(
        script(Dialect::Postgres, Direction::Downgrade, "o2:o1"),
        script(Dialect::Sqlite, Direction::Downgrade, "o2:o1")
    );
    // Alterations render on PostgreSQL without reading the database.
    let upgrade = ALTER
        .sql(Dialect::Postgres, Direction::Upgrade, "t1:t2")
        .unwrap();
    snapshot("alter-upgrade.postgresql", &upgrade);
    let downgrade = ALTER
        .sql(Dialect::Postgres, Direction::Downgrade, "t2:t1")
        .unwrap();
    snapshot("alter-downgrade.postgresql", &downgrade);
}

/// `authors`, referenced by `books`, then two `transactional: false` Rust revisions that
/// rebuild it: one that succeeds, one that fails.
static OUTSIDE: aludel::Migrations =
    aludel::embed_migrations!("fixtures/rust_batch_outside/versions");

#[test]
fn a_rebuild_outside_a_transaction_is_its_own_transaction() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut sqlite = sqlite_with_foreign_keys(&db);
    let mut conn = db.connect();
    // The revision turns foreign keys off around its rebuild itself: the books stay.
    OUTSIDE.upgrade(&mut sqlite, "n2").unwrap();
    assert!(foreign_keys_on(&mut sqlite));
    assert_eq!(count(&mut conn, "SELECT id FROM books"), 2);
    assert_eq!(
        conn.strings(
            "SELECT lower(type) AS a FROM pragma_table_info('authors') WHERE name = 'born'"
        ),
        ["text"]
    );
    let before = schema(&mut conn);
    let error = OUTSIDE.run_pending(&mut sqlite).unwrap_err();
    assert!(
        matches!(&error, Error::RevisionFailed { revision, .. } if revision == "n3"),
        "{error:?}"
    );
    assert!(error.to_string().contains("NOT NULL"), "{error}");
    assert_eq!(conn.versions(), ["n2"]);
    assert_eq!(schema(&mut conn), before, "no half-done table");
    assert_eq!(count(&mut conn, "SELECT id FROM authors"), 2);
    assert!(foreign_keys_on(&mut sqlite));
}

#[test]
fn rows_that_broke_a_foreign_key_before_a_revision_do_not_fail_it() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut sqlite = SqliteConnection::establish(&db.url).unwrap();
    BATCH.upgrade(&mut sqlite, "b1").unwrap();
    // Written while foreign keys were off (diesel turns them on when it connects): a task of
    // a member that does not exist.
    sqlite
        .batch_execute("PRAGMA foreign_keys = OFF; INSERT INTO tasks (id, member_id, what) VALUES (9, 99, 'orphan')")
        .unwrap();
    sqlite.batch_execute("PRAGMA foreign_keys = ON").unwrap();
    BATCH.run_pending(&mut sqlite).unwrap();
    let mut conn = db.connect();
    assert_eq!(conn.versions(), ["b2"]);
    // A revision that adds a dangling reference of its own still fails.
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut sqlite = SqliteConnection::establish(&db.url).unwrap();
    ORPHANS.upgrade(&mut sqlite, "b1").unwrap();
    sqlite
        .batch_execute(
            "PRAGMA foreign_keys = OFF; INSERT INTO members (id, team_id) VALUES (9, 99); PRAGMA foreign_keys = ON",
        )
        .unwrap();
    let error = ORPHANS.run_pending(&mut sqlite).unwrap_err();
    assert!(
        error.to_string().contains("(1 of them before it ran)"),
        "{error}"
    );
}

/// An SQL revision that rebuilds a table others reference (as `revision --autogenerate`
/// writes one for SQLite): with the connection's foreign keys on, `DROP TABLE` would delete
/// the rows first and fire `ON DELETE CASCADE`; aludel runs it with them off and checks them
/// before it commits, so the referencing rows stay; a revision that leaves a dangling key
/// fails and changes nothing. Both in one transaction per revision and for the whole run.
#[test]
fn an_sql_revision_that_rebuilds_a_referenced_table_keeps_the_rows_that_reference_it() {
    use aludel_tests::{revision, TestHistory};
    let rebuild =
        "CREATE TABLE _new_teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);\n\
        INSERT INTO _new_teams (id, name) SELECT id, name FROM teams;\n\
        DROP TABLE teams;\n\
        ALTER TABLE _new_teams RENAME TO teams;";
    let history = TestHistory::new();
    history
        .add(
            "1.sql",
            &revision(
                "r1",
                "",
                "CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
                 CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE);\n\
                 INSERT INTO teams VALUES (1, 'reds');\n\
                 INSERT INTO players VALUES (1, 1), (2, 1);",
                None,
            ),
        )
        .add("2.sql", &revision("r2", "r1", rebuild, None))
        .add(
            "3.sql",
            &revision("r3", "r2", "DELETE FROM teams; DROP TABLE IF EXISTS nothing;", None),
        );
    let migrations = history.load();
    for whole in [false, true] {
        let db = TestDb::new(Backend::Sqlite).unwrap();
        let mut sqlite = sqlite_with_foreign_keys(&db);
        let options = aludel::Options::default().transaction(if whole {
            aludel::TransactionMode::All
        } else {
            aludel::TransactionMode::PerRevision
        });
        let migrator = migrations.migrator().with_options(options);
        migrator.upgrade(&mut sqlite, "r2").unwrap();
        assert!(foreign_keys_on(&mut sqlite), "restored");
        let mut conn = Conn::Sqlite(sqlite);
        assert_eq!(
            conn.strings("SELECT CAST(COUNT(*) AS TEXT) AS a FROM players"),
            ["2"],
            "whole run: {whole}"
        );
        let Conn::Sqlite(mut sqlite) = conn else {
            unreachable!()
        };
        // A revision that drops a table and leaves players pointing at nothing fails.
        let error = migrator.upgrade(&mut sqlite, "r3").unwrap_err();
        assert!(matches!(error, Error::RevisionFailed { .. }), "{error:?}");
        let mut conn = Conn::Sqlite(sqlite);
        assert_eq!(conn.versions(), ["r2"]);
        assert_eq!(
            conn.strings("SELECT CAST(COUNT(*) AS TEXT) AS a FROM teams"),
            ["1"]
        );
    }
}
