static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/file/errors_in_two_files");

fn main() {
    let _ = MIGRATIONS.len();
}
