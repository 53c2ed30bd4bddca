static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/file/malformed_header");

fn main() {
    let _ = MIGRATIONS.len();
}
