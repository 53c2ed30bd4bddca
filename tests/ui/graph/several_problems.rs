static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/graph/several_problems");

fn main() {
    let _ = MIGRATIONS.len();
}
