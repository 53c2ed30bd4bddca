//! The graph the macro embeds is the graph the CLI loads from disk: same revisions, same
//! header lines, same SQL, same checksums, same heads and order.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::path::Path;

use aludel_graph::{load_dir, GraphOptions};

static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../migrations/versions");

aludel::migrations!("../migrations/versions");

#[test]
fn embedded_equals_loaded() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = load_dir(
        &root.join("../migrations/versions"),
        root,
        &GraphOptions::default(),
    )
    .unwrap();
    let embedded: Vec<aludel_graph::Revision> = MIGRATIONS
        .revisions()
        .iter()
        .map(|r| r.to_graph_revision())
        .collect();
    assert_eq!(embedded, loaded.graph.revisions().to_vec());
    assert_eq!(MIGRATIONS.heads(), loaded.graph.heads().as_slice());
    let walked: Vec<&str> = MIGRATIONS.history().iter().map(|r| r.id()).collect();
    let from_disk: Vec<&str> = loaded.graph.walk().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(walked, from_disk);
    for revision in MIGRATIONS.revisions() {
        let bytes = std::fs::read(root.join(revision.path())).unwrap();
        assert_eq!(
            revision.checksum(),
            aludel_graph::checksum::checksum(&bytes)
        );
    }
}

#[test]
fn typed_items_name_revisions() {
    assert_eq!(migrations::rev_3f2a9c1b7d4e.id(), "3f2a9c1b7d4e");
    assert_eq!(
        migrations::rev_9c0de4ab12ff
            .down_revisions()
            .collect::<Vec<_>>(),
        ["3f2a9c1b7d4e"]
    );
    assert_eq!(migrations::rev_3f2a9c1b7d4e.down_revisions().count(), 0);
    assert_eq!(migrations::rev_b71c4f0e9a21.message(), "create posts");
    assert!(migrations::rev_b71c4f0e9a21.downgrade_sql().is_some());
    assert_eq!(migrations::MIGRATIONS.len(), MIGRATIONS.len());
    assert!(std::ptr::eq(
        migrations::MIGRATIONS.get("3f2a9c1b7d4e").unwrap(),
        &migrations::rev_3f2a9c1b7d4e
    ));
}
