//! Compile-time macros of [aludel](https://docs.rs/aludel); use them through the `aludel`
//! crate, which re-exports them.
//!
//! Each macro reads a versions directory while the crate compiles, validates the revision
//! history with `aludel-graph` (the same code the runtime and the CLI use) and either embeds
//! it or reports every problem as a compile error naming the file and line.

mod expand;
mod fallback;

use proc_macro::TokenStream;

/// Embeds and validates a revision history; expands to an expression of type
/// `aludel::Migrations`, usable in a `static`.
///
/// ```ignore
/// static MIGRATIONS: aludel::Migrations = aludel::embed_migrations!();
/// static OTHER: aludel::Migrations = aludel::embed_migrations!("db/versions");
/// ```
///
/// Without an argument the versions directory is `migrations/versions` below the crate root,
/// or `<script_location>/versions` when the crate root has an `aludel.toml`. A path argument
/// names the versions directory relative to the crate root.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    expand::expand(input.into(), expand::Form::Expression).into()
}

/// Embeds and validates a revision history as a module `migrations` holding a
/// `pub static rev_<id>: aludel::Revision` per revision and
/// `pub static MIGRATIONS: aludel::Migrations`.
///
/// ```ignore
/// aludel::migrations!();
///
/// fn main() {
///     let users = &migrations::rev_3f2a9c1b7d4e; // fails to compile once the revision is gone
///     println!("{} has {} revisions", users.id(), migrations::MIGRATIONS.len());
/// }
/// ```
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    expand::expand(input.into(), expand::Form::Module).into()
}
