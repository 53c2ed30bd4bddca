static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/graph/multiple_bases");

fn main() {
    let _ = MIGRATIONS.len();
}
