static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/graph/self_loop");

fn main() {
    let _ = MIGRATIONS.len();
}
