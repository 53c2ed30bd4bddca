//! Async connections to a test's database, through diesel-async, and pools of them.

use diesel::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, AsyncPgConnection};

use crate::{Backend, TestDb};

/// SQLite through diesel-async.
pub type AsyncSqlite = SyncConnectionWrapper<SqliteConnection>;

/// An async connection of any backend.
#[allow(clippy::large_enum_variant)] // one per test, never moved around
pub enum AsyncConn {
    /// SQLite, through diesel-async's wrapper of a sync connection.
    Sqlite(AsyncSqlite),
    /// PostgreSQL.
    Postgres(AsyncPgConnection),
    /// MySQL.
    Mysql(AsyncMysqlConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection inside an [`AsyncConn`].
#[macro_export]
macro_rules! with_async_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::asynchronous::AsyncConn::Sqlite($c) => $body,
            $crate::asynchronous::AsyncConn::Postgres($c) => $body,
            $crate::asynchronous::AsyncConn::Mysql($c) => $body,
        }
    };
}

impl TestDb {
    /// A new async connection to the test's database.
    pub async fn connect_async(&self) -> AsyncConn {
        match self.backend {
            Backend::Sqlite => AsyncConn::Sqlite(AsyncSqlite::establish(&self.url).await.unwrap()),
            Backend::Postgres => {
                AsyncConn::Postgres(AsyncPgConnection::establish(&self.url).await.unwrap())
            }
            Backend::Mysql => {
                AsyncConn::Mysql(AsyncMysqlConnection::establish(&self.url).await.unwrap())
            }
        }
    }
}
