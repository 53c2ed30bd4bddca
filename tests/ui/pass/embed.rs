static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../migrations/versions");

fn main() {
    assert_eq!(MIGRATIONS.len(), 3);
    assert_eq!(MIGRATIONS.heads(), &["b71c4f0e9a21"]);
}
