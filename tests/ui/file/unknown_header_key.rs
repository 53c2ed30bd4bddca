static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/file/unknown_header_key");

fn main() {
    let _ = MIGRATIONS.len();
}
