static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!(migrations / versions);

fn main() {
    let _ = MIGRATIONS.len();
}
