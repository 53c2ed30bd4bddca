//! Documents of every older version open and upgrade in place; new documents start at the
//! current version; a document from a newer version is refused untouched.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::PathBuf;

use aludel_example_app_file::{add_note, create, notes, open, MIGRATIONS};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aludel-app-file-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("notes.db")
}

#[test]
fn every_older_version_upgrades_in_place() {
    let revisions: Vec<&str> = MIGRATIONS.history().iter().rev().map(|r| r.id()).collect();
    assert_eq!(revisions.len(), 3);
    for (k, old) in revisions.iter().enumerate() {
        let path = temp_file(&format!("v{k}"));
        {
            // A document saved by an older version of the application.
            let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
            MIGRATIONS.upgrade(&mut conn, *old).unwrap();
            conn.batch_execute("INSERT INTO notes (body) VALUES ('#work call the bank')")
                .unwrap();
        }
        let (mut conn, upgraded) = open(&path).unwrap();
        assert_eq!(
            upgraded,
            revisions[k + 1..].to_vec(),
            "opened a version {k} document"
        );
        let found = notes(&mut conn).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].body, "#work call the bank");
        if k < 2 {
            assert_eq!(
                found[0].tags, "work",
                "the upgrade converted the old convention"
            );
        }
        assert_eq!(
            MIGRATIONS.current(&mut conn).unwrap(),
            vec![MIGRATIONS.heads()[0]]
        );
    }
}

#[test]
fn new_documents_start_at_the_current_version() {
    let path = temp_file("new");
    let mut conn = create(&path).unwrap();
    assert_eq!(
        MIGRATIONS.current(&mut conn).unwrap(),
        vec![MIGRATIONS.heads()[0]]
    );
    add_note(&mut conn, "first", &["a", "b"]).unwrap();
    assert_eq!(notes(&mut conn).unwrap()[0].tags, "a,b");
    drop(conn);
    assert!(
        create(&path).is_err(),
        "an existing document is not overwritten"
    );
    let (_, upgraded) = open(&path).unwrap();
    assert!(upgraded.is_empty());
}

#[test]
fn a_document_from_a_newer_version_is_refused_untouched() {
    let path = temp_file("newer");
    {
        let mut conn = create(&path).unwrap();
        conn.batch_execute("UPDATE alembic_version SET version_num = 'f00dfeedbeef'")
            .unwrap();
    }
    let Err(err) = open(&path) else {
        panic!("a newer document opened")
    };
    assert!(
        err.to_string().contains(
            "written by a newer version of the application (format revision f00dfeedbeef)"
        ),
        "{err}"
    );
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    assert_eq!(MIGRATIONS.current(&mut conn).unwrap(), vec!["f00dfeedbeef"]);
}
