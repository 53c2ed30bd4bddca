static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/file/unknown_database");

fn main() {
    let _ = MIGRATIONS.len();
}
