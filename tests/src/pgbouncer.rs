//! A real PgBouncer in front of a test's PostgreSQL database, for the tests of migrators that
//! reach the server through a connection pooler.
//!
//! [`PgBouncer::start`] writes a configuration, an auth file and a log into a temporary
//! directory, starts `pgbouncer` on a free loopback port (as the `postgres` user when the tests
//! run as root, since PgBouncer refuses to run as root), waits until it accepts connections and
//! returns its URL. Dropping the value kills the process and removes the directory.
//!
//! Without a `pgbouncer` binary (Debian's package `pgbouncer`, or `ALUDEL_TEST_PGBOUNCER` naming
//! one) the test is skipped with a note, unless `ALUDEL_TEST_REQUIRE_SERVERS=1`.

use std::fmt;
use std::fs::File;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection};

use crate::{Backend, TempDir, TestDb};

/// How PgBouncer hands server connections to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    /// A client keeps one server connection from login to logout.
    Session,
    /// A client holds a server connection only for the length of a transaction (or of one
    /// statement outside a transaction); its next transaction may run on another one.
    Transaction,
}

impl fmt::Display for PoolMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
        })
    }
}

/// A running PgBouncer; killed, and its directory removed, on drop.
pub struct PgBouncer {
    /// The URL of the test's database through PgBouncer.
    pub url: String,
    /// The loopback port PgBouncer listens on.
    pub port: u16,
    /// The pool mode it runs in.
    pub mode: PoolMode,
    child: Child,
    dir: TempDir,
}

/// The parts of a `postgres://` URL PgBouncer needs to reach the server.
struct Upstream {
    user: String,
    password: Option<String>,
    host: String,
    port: u16,
    database: String,
}

fn parse_url(url: &str) -> Upstream {
    let rest = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('?')
        .next()
        .unwrap_or_default();
    let (authority, database) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", authority),
    };
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u.to_string(), Some(p.to_string())),
        None => (userinfo.to_string(), None),
    };
    let (host, port) = match hostport.strip_prefix('[') {
        // [v6 address] or [v6 address]:port
        Some(v6) => match v6.split_once(']') {
            Some((h, tail)) => (h, tail.strip_prefix(':')),
            None => (v6, None),
        },
        None => match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        },
    };
    let port = port.map_or(5432, |p| {
        p.parse()
            .unwrap_or_else(|_| panic!("bad port in the test database URL {url}"))
    });
    let host = host.to_string();
    Upstream {
        user: if user.is_empty() {
            "postgres".to_string()
        } else {
            user
        },
        password,
        host: if host.is_empty() {
            "127.0.0.1".to_string()
        } else {
            host
        },
        port,
        database: database.to_string(),
    }
}

/// The `pgbouncer` binary, or `None` (after a note) when it is missing and not required.
fn binary() -> Option<PathBuf> {
    let named = std::env::var_os("ALUDEL_TEST_PGBOUNCER").map(PathBuf::from);
    let found = named.clone().or_else(|| {
        let on_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default();
        on_path
            .into_iter()
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
            .map(|dir| dir.join("pgbouncer"))
            .find(|p| p.is_file())
    });
    match found {
        Some(path) if path.is_file() => Some(path),
        _ => {
            let what = match named {
                Some(path) => format!("ALUDEL_TEST_PGBOUNCER names {}, which does not exist", path.display()),
                None => "pgbouncer is not installed (Debian/Ubuntu package `pgbouncer`; or set ALUDEL_TEST_PGBOUNCER to its path)".to_string(),
            };
            if std::env::var("ALUDEL_TEST_REQUIRE_SERVERS").as_deref() == Ok("1") {
                panic!("{what}, but ALUDEL_TEST_REQUIRE_SERVERS=1");
            }
            eprintln!("note: {what}; skipping this test");
            None
        }
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// Whether this process runs as root (PgBouncer refuses to).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The user PgBouncer runs as when the tests run as root: `postgres` where it exists.
fn unprivileged_user() -> &'static str {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    if passwd.lines().any(|l| l.starts_with("postgres:")) {
        "postgres"
    } else {
        "nobody"
    }
}

/// A quoted value for PgBouncer's connection strings and auth file.
fn quoted(value: &str, quote: char) -> String {
    let doubled = value.replace(quote, &format!("{quote}{quote}"));
    format!("{quote}{doubled}{quote}")
}

impl PgBouncer {
    /// PgBouncer in `mode` in front of `db` (a PostgreSQL test database), sharing at most
    /// `pool_size` server connections among up to 100 clients; `None` when PgBouncer is not
    /// installed and not required.
    pub fn start(db: &TestDb, mode: PoolMode, pool_size: u32) -> Option<PgBouncer> {
        assert_eq!(
            db.backend,
            Backend::Postgres,
            "PgBouncer fronts PostgreSQL only"
        );
        let binary = binary()?;
        let upstream = parse_url(&db.url);
        let mut last_log = String::new();
        // Another process may take the free port between the probe and PgBouncer's bind: try a
        // few ports.
        for _ in 0..5 {
            let port = free_port();
            match Self::try_start(&binary, &upstream, mode, pool_size, port) {
                Ok(bouncer) => return Some(bouncer),
                Err(log) => last_log = log,
            }
        }
        panic!(
            "PgBouncer ({}) did not start:\n{last_log}",
            binary.display()
        );
    }

    fn try_start(
        binary: &Path,
        upstream: &Upstream,
        mode: PoolMode,
        pool_size: u32,
        port: u16,
    ) -> Result<PgBouncer, String> {
        let dir = TempDir::new("aludel-pgbouncer");
        let mut server = format!(
            "host={} port={} dbname={} user={}",
            quoted(&upstream.host, '\''),
            upstream.port,
            quoted(&upstream.database, '\''),
            quoted(&upstream.user, '\''),
        );
        if let Some(password) = &upstream.password {
            server.push_str(&format!(" password={}", quoted(password, '\'')));
        }
        // `trust`: PgBouncer asks clients for no password but knows the user from the auth file;
        // it logs in to the server as the URL's user (the test server trusts loopback clients).
        let users = dir.write(
            "users.txt",
            &format!(
                "{} {}\n",
                quoted(&upstream.user, '"'),
                quoted(upstream.password.as_deref().unwrap_or(""), '"')
            ),
        );
        let config = dir.write(
            "pgbouncer.ini",
            &format!(
                "[databases]\n\
                 {database} = {server}\n\
                 \n\
                 [pgbouncer]\n\
                 listen_addr = 127.0.0.1\n\
                 listen_port = {port}\n\
                 unix_socket_dir =\n\
                 auth_type = trust\n\
                 auth_file = {users}\n\
                 pool_mode = {mode}\n\
                 max_client_conn = 100\n\
                 default_pool_size = {pool_size}\n\
                 min_pool_size = 0\n\
                 reserve_pool_size = 0\n\
                 max_db_connections = {pool_size}\n\
                 server_login_retry = 1\n\
                 query_wait_timeout = 60\n",
                database = upstream.database,
                users = users.display(),
            ),
        );
        // PgBouncer runs as another user when the tests run as root: it must read the files.
        std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
        for file in [&users, &config] {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        // The log is the process's stderr, a file this process opens, so PgBouncer needs no
        // write access to the directory.
        let log_path = dir.0.join("pgbouncer.log");
        let log = File::create(&log_path).unwrap();
        let mut command = if running_as_root() {
            // setpriv execs PgBouncer in its own process, so the child is PgBouncer itself.
            let user = unprivileged_user();
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={user}"),
                format!("--regid={user}"),
                "--init-groups".to_string(),
                "--".to_string(),
            ])
            .arg(binary);
            c
        } else {
            Command::new(binary)
        };
        let child = command
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let url = format!(
            "postgres://{}@127.0.0.1:{port}/{}",
            upstream.user, upstream.database
        );
        let mut bouncer = PgBouncer {
            url,
            port,
            mode,
            child,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = bouncer.child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!("exited ({status}); its log:\n{log}"));
            }
            match PgConnection::establish(&bouncer.url) {
                Ok(_) => return Ok(bouncer),
                Err(e) if Instant::now() >= deadline => {
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    return Err(format!("no connection within 20 s ({e}); its log:\n{log}"));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// PgBouncer's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::parse_url;

    #[test]
    fn parses_server_urls() {
        let u = parse_url("postgres://postgres@127.0.0.1:5432/aludel_t_1?sslmode=disable");
        assert_eq!(
            (
                u.user.as_str(),
                u.password,
                u.host.as_str(),
                u.port,
                u.database.as_str()
            ),
            ("postgres", None, "127.0.0.1", 5432, "aludel_t_1")
        );
        let u = parse_url("postgresql://me:se:cret@db.example/x");
        assert_eq!(
            (
                u.user.as_str(),
                u.password.as_deref(),
                u.host.as_str(),
                u.port
            ),
            ("me", Some("se:cret"), "db.example", 5432)
        );
        let u = parse_url("postgres://[::1]:6000/y");
        assert_eq!(
            (u.host.as_str(), u.port, u.user.as_str()),
            ("::1", 6000, "postgres")
        );
    }
}
