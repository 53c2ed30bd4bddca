static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/rust/wrong_signature");

fn main() {
    let _ = MIGRATIONS.len();
}
