static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/rust/bad_header");

fn main() {
    let _ = MIGRATIONS.len();
}
