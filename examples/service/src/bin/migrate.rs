//! The service's migration tool: every database command of `aludel` (`upgrade`, `downgrade`,
//! `stamp`, `current`, `check`, `history`, ...) against the revisions embedded in this binary,
//! so that a deployment needs no revision files and no separate `aludel` install.
//!
//! ```sh
//! DATABASE_URL=postgres://app@db/app migrate upgrade heads
//! migrate current --database-url sqlite://service.db
//! ```

static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!("migrations/versions");

fn main() -> std::process::ExitCode {
    aludel_cli::run_embedded(&MIGRATIONS)
}
