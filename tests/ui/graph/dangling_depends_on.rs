static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/graph/dangling_depends_on");

fn main() {
    let _ = MIGRATIONS.len();
}
