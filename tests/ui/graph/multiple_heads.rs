static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/graph/multiple_heads");

fn main() {
    let _ = MIGRATIONS.len();
}
