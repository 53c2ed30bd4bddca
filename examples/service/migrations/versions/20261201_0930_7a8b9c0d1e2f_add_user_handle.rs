//! revision: 7a8b9c0d1e2f
//! down_revision: 5e1f0a2b3c4d
//! message: add user handle, backfilled from the name
//! create_date: 2026-12-01T09:30:00Z

//! A data migration: the handle is computed in Rust from each user's name, written with typed
//! diesel queries in the revision's transaction, then made NOT NULL and unique (on SQLite by a
//! rebuild of the table, which `posts` references).

use aludel::op::{Column, ColumnChange, ConstraintKind, Op, Type};
use diesel::prelude::*;

/// The table as this revision finds it: a revision names the columns of its own time, not the
/// service's schema of today.
mod schema {
    diesel::table! {
        users (id) {
            id -> Integer,
            name -> Text,
            handle -> Nullable<Text>,
        }
    }
}

use schema::users;

/// `Ada Lovelace` with id 7 is `ada-lovelace-7`: unique, since the id is.
fn handle_of(name: &str, id: i32) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    format!("{}-{id}", words.join("-"))
}

pub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {
    op.add_column("users", Column::new("handle", Type::Text))?;
    aludel::with_connection!(op, |conn| {
        let rows: Vec<(i32, String)> = users::table
            .select((users::id, users::name))
            .load(conn)?;
        for (id, name) in rows {
            diesel::update(users::table.find(id))
                .set(users::handle.eq(handle_of(&name, id)))
                .execute(conn)?;
        }
        Ok(())
    })?;
    op.batch_alter_table("users", |batch| {
        batch
            .alter_column("handle", ColumnChange::new().not_null())
            .create_unique_constraint("users_handle_key", &["handle"]);
        Ok(())
    })
}

pub fn downgrade(op: &mut Op<'_>) -> aludel::Result<()> {
    op.batch_alter_table("users", |batch| {
        batch
            .drop_constraint("users_handle_key", ConstraintKind::Unique)
            .drop_column("handle");
        Ok(())
    })
}
