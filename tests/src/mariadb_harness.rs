//! A real MariaDB server for the integration tests: `mariadb-install-db` and `mariadbd`
//! (Debian's `mariadb-server`, which `scripts/test.sh` installs) with their own data dir,
//! socket and free 127.0.0.1 port, without grant tables (any user, no password), stopped
//! and removed by its [`Watchdog`].

use crate::redis_harness::free_port;
use crate::watchdog::{poll_until, Watchdog};
use std::io::Read;
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::Duration;

/// One MariaDB server.
pub struct MariaDbServer {
    port: u16,
    _watchdog: Watchdog,
}

impl MariaDbServer {
    /// Creates a data dir and starts the server; returns once it greets a client.
    pub fn start() -> Self {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("memotrace-mariadb-{}-{port}", std::process::id()));
        let start = format!(
            r#"mariadb-install-db --no-defaults --datadir="$D/data" --user="$(id -un)" --skip-test-db >"$D/install.log" 2>&1 || {{ echo failed; exit 1; }}
mariadbd --no-defaults --datadir="$D/data" --socket="$D/sock" --port={port} --bind-address=127.0.0.1 \
  --user="$(id -un)" --skip-grant-tables --skip-name-resolve --skip-log-bin \
  --innodb-buffer-pool-size=16M --pid-file="$D/pid" --log-error="$D/error.log" &
p=$!
echo started"#
        );
        let watchdog = Watchdog::spawn(
            &dir,
            &start,
            r#"kill -9 $p 2>/dev/null; wait $p 2>/dev/null"#,
            &["install.log", "error.log"],
        );
        if !poll_until(Duration::from_secs(60), || greets(port)) {
            let log = std::fs::read_to_string(watchdog.dir().join("error.log"));
            panic!(
                "mariadbd did not greet within 60 s:\n{}",
                log.unwrap_or_default()
            );
        }
        Self {
            port,
            _watchdog: watchdog,
        }
    }

    /// `mysql://root@127.0.0.1:{port}/mysql`.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/mysql", self.port)
    }
}

/// Whether a server on `port` sends the MySQL protocol's greeting.
fn greets(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut header = [0u8; 5];
    // 3-byte length, sequence 0, protocol version 10.
    stream.read_exact(&mut header).is_ok() && header[4] == 10
}

/// The server of this test binary, started at first use (about 6 s).
pub fn shared_mariadb() -> &'static MariaDbServer {
    static SERVER: OnceLock<MariaDbServer> = OnceLock::new();
    SERVER.get_or_init(MariaDbServer::start)
}
