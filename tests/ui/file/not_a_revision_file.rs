static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/file/not_a_revision_file");

fn main() {
    let _ = MIGRATIONS.len();
}
