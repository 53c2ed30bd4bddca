static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/rust/missing_upgrade");

fn main() {
    let _ = MIGRATIONS.len();
}
