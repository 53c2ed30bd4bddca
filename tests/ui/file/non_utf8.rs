static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/file/non_utf8");

fn main() {
    let _ = MIGRATIONS.len();
}
