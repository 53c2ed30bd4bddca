static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/graph/dependency_cycle");

fn main() {
    let _ = MIGRATIONS.len();
}
