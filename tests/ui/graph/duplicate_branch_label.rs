static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("../../../../tests/ui/graph/duplicate_branch_label");

fn main() {
    let _ = MIGRATIONS.len();
}
