static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/file/transactional_value");

fn main() {
    let _ = MIGRATIONS.len();
}
