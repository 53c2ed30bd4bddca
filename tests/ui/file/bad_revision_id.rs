static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/file/bad_revision_id");

fn main() {
    let _ = MIGRATIONS.len();
}
