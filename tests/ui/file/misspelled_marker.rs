static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/file/misspelled_marker");

fn main() {
    let _ = MIGRATIONS.len();
}
