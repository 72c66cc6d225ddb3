//! Real Redis servers for the integration tests: `redis-server` processes on free
//! 127.0.0.1 ports, persistence off, killed when the handle drops (also on panic) and,
//! through a watchdog shell holding a pipe to this process, when the test process dies
//! without running destructors (statics, aborts).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whether `redis-server` and `redis-cli` are installed.
pub fn redis_available() -> bool {
    ["redis-server", "redis-cli"].iter().all(|bin| {
        Command::new(bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn port_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A port that is free, and whose cluster-bus port (+10000) is free too.
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let start = 20_000 + (std::process::id() % 2_000) as u16 * 5;
    loop {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed) % 10_000;
        let port = 20_000 + (start - 20_000 + offset) % 10_000;
        if port_free(port) && port_free(port + 10_000) {
            return port;
        }
    }
}

/// One `redis-server` process.
pub struct RedisServer {
    port: u16,
    extra: Vec<String>,
    dir: PathBuf,
    watchdog: Option<(Child, ChildStdin)>,
    pid: Option<u32>,
    /// Whether the server on a port is up and answering.
    probe: fn(u16) -> bool,
}

impl RedisServer {
    /// A standalone server on a free port (debug commands on, for `DEBUG SLEEP`).
    pub fn start() -> Self {
        Self::start_with(free_port(), &[])
    }

    /// A server on `port` with extra `redis-server` arguments.
    pub fn start_with(port: u16, extra: &[&str]) -> Self {
        Self::start_probed(port, extra, ping)
    }

    /// A server on `port` with extra arguments, up once `probe(port)` holds (for servers
    /// that do not answer a plain-text `PING` there, e.g. TLS).
    pub fn start_probed(port: u16, extra: &[&str], probe: fn(u16) -> bool) -> Self {
        let dir =
            std::env::temp_dir().join(format!("memotrace-redis-{}-{port}", std::process::id()));
        let mut server = Self {
            port,
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
            dir,
            watchdog: None,
            pid: None,
            probe,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        std::fs::create_dir_all(&self.dir).expect("temp dir");
        let mut args: Vec<String> = vec![
            "--port".into(),
            self.port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--save".into(),
            String::new(),
            "--appendonly".into(),
            "no".into(),
            "--enable-debug-command".into(),
            "yes".into(),
            "--dir".into(),
            self.dir.display().to_string(),
            "--logfile".into(),
            self.dir.join("redis.log").display().to_string(),
        ];
        args.extend(self.extra.iter().cloned());
        // The shell starts redis, prints its pid, then blocks reading our pipe: when this
        // process dies the pipe closes, `read` returns, and redis is killed.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"redis-server "$@" & p=$!; echo $p; read _; kill -9 $p 2>/dev/null; wait $p; rm -rf "$MT_REDIS_DIR""#)
            .env("MT_REDIS_DIR", &self.dir)
            .arg("sh")
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server (is it installed?)");
        let stdin = child.stdin.take().expect("piped stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("redis pid");
        self.pid = line.trim().parse().ok();
        self.watchdog = Some((child, stdin));
        self.wait_ready(Duration::from_secs(10));
    }

    /// Blocks until the server answers `PING`.
    pub fn wait_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if (self.probe)(self.port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!(
            "redis-server on port {} was not up within {timeout:?}",
            self.port
        );
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Runs `redis-cli` against the server; its trimmed stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        cli(self.port, args)
    }

    /// Kills the server with SIGKILL (no shutdown, like a crash) and waits until the port
    /// refuses connections.
    pub fn kill(&mut self) {
        if let Some(pid) = self.pid.take() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        if let Some((mut child, stdin)) = self.watchdog.take() {
            // Stop the watchdog before closing its pipe, so it does not delete the data
            // dir (a restarted cluster node needs its nodes.conf).
            let _ = child.kill();
            let _ = child.wait();
            drop(stdin);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while (self.probe)(self.port) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Freezes the server with SIGSTOP: connections stay open and nothing answers, like
    /// a process stalled by its host.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Lets a [frozen](Self::freeze) server run again (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let pid = self.pid.expect("the server is running").to_string();
        let status = Command::new("kill").args([which, &pid]).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "kill {which} {pid} failed"
        );
    }

    /// Starts the server again on the same port (empty: persistence is off).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether something on `port` answers `PING` with `+PONG`.
pub fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("+PONG")
}

/// `redis-cli -p {port} args..`, trimmed stdout.
pub fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .expect("redis-cli");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A 3-primary Redis Cluster (no replicas, `cluster-require-full-coverage no`).
pub struct RedisCluster {
    /// The three primaries.
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts three servers and joins them with `redis-cli --cluster create`; returns
    /// once every node reports `cluster_state:ok` and every primary accepts writes.
    pub fn start() -> Self {
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                let port = free_port();
                let conf = format!("nodes-{port}.conf");
                RedisServer::start_with(
                    port,
                    &[
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        &conf,
                        "--cluster-node-timeout",
                        "2000",
                        "--cluster-require-full-coverage",
                        "no",
                    ],
                )
            })
            .collect();
        let mut args: Vec<String> = vec!["--cluster".into(), "create".into()];
        args.extend(nodes.iter().map(|n| format!("127.0.0.1:{}", n.port())));
        args.extend([
            "--cluster-replicas".into(),
            "0".into(),
            "--cluster-yes".into(),
        ]);
        let out = Command::new("redis-cli")
            .args(&args)
            .output()
            .expect("redis-cli --cluster create");
        assert!(
            out.status.success(),
            "cluster create failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let cluster = Self { nodes };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // Every node agrees, and keys all over the slot space are writable.
            let ok = cluster
                .nodes
                .iter()
                .all(|n| n.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok"))
                && (0..30).all(|i| {
                    cli(
                        cluster.nodes[0].port(),
                        &["-c", "SET", &format!("probe{i}"), "1"],
                    ) == "OK"
                });
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "cluster did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        for n in &cluster.nodes {
            let _ = n.cli(&["FLUSHALL"]);
        }
        cluster
    }

    /// The URLs of the cluster's nodes.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// Keys held by each primary (`DBSIZE`).
    pub fn dbsizes(&self) -> Vec<u64> {
        self.nodes
            .iter()
            .map(|n| n.cli(&["DBSIZE"]).parse().unwrap_or(0))
            .collect()
    }

    /// Keys matching `pattern` on each primary (SCAN through redis-cli).
    pub fn count_matching(&self, pattern: &str) -> Vec<usize> {
        self.nodes
            .iter()
            .map(|n| {
                n.cli(&["--scan", "--pattern", pattern])
                    .lines()
                    .filter(|l| !l.is_empty())
                    .count()
            })
            .collect()
    }
}

/// The cluster of this test binary, started at first use (bring-up takes ~2 s).
pub fn shared_cluster() -> &'static RedisCluster {
    static CLUSTER: OnceLock<RedisCluster> = OnceLock::new();
    CLUSTER.get_or_init(RedisCluster::start)
}

/// The standalone server of this test binary, started at first use.
pub fn shared_server() -> &'static RedisServer {
    static SERVER: OnceLock<RedisServer> = OnceLock::new();
    SERVER.get_or_init(RedisServer::start)
}

/// The test binary's server, made the default backend of `#[cached]` caches with keys
/// under `prefix` (once per binary: the first call's prefix holds).
pub fn default_backend_server(prefix: &str) -> &'static RedisServer {
    static CONFIGURED: OnceLock<()> = OnceLock::new();
    let server = shared_server();
    CONFIGURED.get_or_init(|| {
        let backend = memotrace::cache::redis::RedisBackend::connect(
            memotrace::cache::redis::RedisConfig::url(server.url()).key_prefix(prefix),
        )
        .expect("backend");
        memotrace::cache::redis::set_default_backend(backend);
    });
    server
}

/// Calls `load` through `cache` (Redis or tiered) the way `#[cached(store = redis)]`
/// expands: hit, or refresh in the background, or load and complete.
pub async fn through<S, V, F>(
    cache: &'static S,
    key: &str,
    tags: Vec<String>,
    load: impl FnOnce() -> F,
) -> V
where
    S: memotrace::__private::CacheLookup<str> + memotrace::__private::CacheStore<Value = V>,
    V: memotrace::cache::redis::RedisValue,
    F: std::future::Future<Output = V> + Send + 'static,
{
    use memotrace::__private::{CacheLookup, CacheStore, Lookup, Plain};
    match CacheLookup::lookup_async(cache, key).await {
        Lookup::Hit(v) => v,
        Lookup::Refresh(v, refresh) => {
            CacheStore::refresh_async(cache, refresh, Plain, load(), |_| false, tags);
            v
        }
        Lookup::Load(l) => {
            CacheStore::complete_async(cache, l, Plain, load().await, |_| false, tags).await
        }
    }
}
