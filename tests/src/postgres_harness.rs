//! A real PostgreSQL server for the integration tests: `initdb` and `pg_ctl` (PostgreSQL's
//! own binaries, on `PATH`) in a temp dir, listening on a free 127.0.0.1 port with trust
//! authentication, stopped and removed by its [`Watchdog`].
//!
//! PostgreSQL refuses to run as root: as root, the server runs as `nobody` (through
//! `runuser`), owning its temp dir.

use crate::redis_harness::free_port;
use crate::watchdog::Watchdog;
use std::sync::OnceLock;

/// One PostgreSQL server.
pub struct PostgresServer {
    port: u16,
    _watchdog: Watchdog,
}

impl PostgresServer {
    /// Initialises a cluster and starts it; returns once it accepts connections.
    pub fn start() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("memotrace-pg-{}-{port}", std::process::id()));
        let start = format!(
            r#"if [ "$(id -u)" = 0 ]; then AS="runuser -u nobody --"; chown nobody "$D"; else AS=""; fi
$AS initdb -D "$D/data" -A trust -U postgres -E UTF8 --no-sync >"$D/initdb.log" 2>&1 &&
$AS pg_ctl -D "$D/data" -l "$D/server.log" -w -t 60 -o "-p {port} -h 127.0.0.1 -k $D -F" start >"$D/pg_ctl.log" 2>&1 &&
echo started || echo failed"#
        );
        let stop = r#"if [ "$(id -u)" = 0 ]; then AS="runuser -u nobody --"; else AS=""; fi
$AS pg_ctl -D "$D/data" -m immediate -w -t 30 stop >/dev/null 2>&1"#;
        let watchdog = Watchdog::spawn(
            &dir,
            &start,
            stop,
            &["initdb.log", "pg_ctl.log", "server.log"],
        );
        Self {
            port,
            _watchdog: watchdog,
        }
    }

    /// `postgres://postgres@127.0.0.1:{port}/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

/// The server of this test binary, started at first use (about 3 s).
pub fn shared_postgres() -> &'static PostgresServer {
    static SERVER: OnceLock<PostgresServer> = OnceLock::new();
    SERVER.get_or_init(PostgresServer::start)
}
