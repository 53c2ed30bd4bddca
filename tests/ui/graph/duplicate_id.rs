static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/graph/duplicate_id");

fn main() {
    let _ = MIGRATIONS.len();
}
