aludel::migrations!("../../../../migrations/versions");

fn main() {
    let first: &'static aludel::Revision = &migrations::rev_3f2a9c1b7d4e;
    assert_eq!(first.id(), "3f2a9c1b7d4e");
    assert_eq!(first.path(), "../../../../migrations/versions/20261122_1030_3f2a9c1b7d4e_create_users.sql");
    assert!(first.upgrade_sql().starts_with("CREATE TABLE users"));
    assert_eq!(migrations::MIGRATIONS.len(), 3);
}
