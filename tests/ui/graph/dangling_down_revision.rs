static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/graph/dangling_down_revision");

fn main() {
    let _ = MIGRATIONS.len();
}
