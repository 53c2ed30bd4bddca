static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/dir/no_such_directory");

fn main() {
    let _ = MIGRATIONS.len();
}
