static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/graph/cycle");

fn main() {
    let _ = MIGRATIONS.len();
}
