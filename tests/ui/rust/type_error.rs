static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/rust/type_error");

fn main() {
    let _ = MIGRATIONS.len();
}
