static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/dir/empty_directory");

fn main() {
    let _ = MIGRATIONS.len();
}
