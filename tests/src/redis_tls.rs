//! Redis over TLS for the integration tests: a certificate authority, server and client
//! certificates generated in-process (rcgen), and `redis-server` processes listening only
//! on a TLS port (`--port 0 --tls-port ..`).

use crate::redis_harness::{free_port, RedisServer};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A test CA with one server certificate (for `127.0.0.1` and `localhost`, also usable as
/// a client certificate, as cluster nodes need) and one client certificate, as PEM text
/// and as files.
pub struct Pki {
    /// The CA certificate.
    pub ca_pem: String,
    /// The client certificate and its private key.
    pub client_cert_pem: String,
    pub client_key_pem: String,
    dir: PathBuf,
}

impl Pki {
    /// Generates the certificates and writes them to a temporary directory.
    pub fn generate() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "memotrace test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_pem = ca.self_signed(&ca_key).expect("CA certificate").pem();
        let issuer = Issuer::new(ca, ca_key);
        let leaf = |names: &[&str], usages: Vec<ExtendedKeyUsagePurpose>| {
            let key = KeyPair::generate().expect("leaf key");
            let mut params =
                CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                    .expect("leaf params");
            params.distinguished_name.push(DnType::CommonName, names[0]);
            params.extended_key_usages = usages;
            let cert = params.signed_by(&key, &issuer).expect("leaf certificate");
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = leaf(
            &["127.0.0.1", "localhost"],
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
        );
        let (client_cert_pem, client_key_pem) = leaf(
            &["memotrace-client"],
            vec![ExtendedKeyUsagePurpose::ClientAuth],
        );
        let dir = std::env::temp_dir().join(format!(
            "memotrace-pki-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("pki dir");
        for (name, pem) in [
            ("ca.crt", &ca_pem),
            ("server.crt", &server_cert),
            ("server.key", &server_key),
            ("client.crt", &client_cert_pem),
            ("client.key", &client_key_pem),
        ] {
            std::fs::write(dir.join(name), pem).expect("write pem");
        }
        Self {
            ca_pem,
            client_cert_pem,
            client_key_pem,
            dir,
        }
    }

    /// The path of one of the files (`ca.crt`, `server.crt`, `server.key`, `client.crt`,
    /// `client.key`).
    pub fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// The `redis-server` arguments of a TLS-only server on `port` with these
    /// certificates (clients must present a certificate signed by the CA).
    pub fn server_args(&self, port: u16) -> Vec<String> {
        vec![
            "--port".into(),
            "0".into(),
            "--tls-port".into(),
            port.to_string(),
            "--tls-cert-file".into(),
            self.file("server.crt"),
            "--tls-key-file".into(),
            self.file("server.key"),
            "--tls-ca-cert-file".into(),
            self.file("ca.crt"),
        ]
    }

    /// Starts a TLS-only `redis-server` with `extra` arguments.
    pub fn start_server(&self, extra: &[&str]) -> TlsServer {
        let port = free_port();
        let mut args = self.server_args(port);
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        TlsServer {
            server: RedisServer::start_probed(port, &args, accepts),
        }
    }

    /// A 3-primary Redis Cluster speaking TLS only, also between its nodes
    /// (`--tls-cluster yes`); `extra` arguments for every node, `auth` the `redis-cli`
    /// arguments that authenticate (e.g. `["--user", "app", "--pass", ".."]`). Returns
    /// once every node reports `cluster_state:ok` and keys all over the slot space are
    /// writable.
    pub fn start_cluster(&self, extra: &[&str], auth: &[&str]) -> Vec<TlsServer> {
        let nodes: Vec<TlsServer> = (0..3)
            .map(|_| {
                // Each server has its own directory.
                let mut args = vec![
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "2000",
                    "--cluster-require-full-coverage",
                    "no",
                    "--tls-cluster",
                    "yes",
                ];
                args.extend_from_slice(extra);
                self.start_server(&args)
            })
            .collect();
        let first = nodes[0].server.port();
        let mut create: Vec<String> = auth.iter().map(|a| (*a).to_owned()).collect();
        create.extend(["--cluster".into(), "create".into()]);
        create.extend(
            nodes
                .iter()
                .map(|n| format!("127.0.0.1:{}", n.server.port())),
        );
        create.extend([
            "--cluster-replicas".into(),
            "0".into(),
            "--cluster-yes".into(),
        ]);
        let create: Vec<&str> = create.iter().map(String::as_str).collect();
        self.cli(first, &create);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ok = nodes.iter().all(|n| {
                self.cli(n.server.port(), &[auth, &["CLUSTER", "INFO"]].concat())
                    .contains("cluster_state:ok")
            }) && (0..30).all(|i| {
                let probe = format!("probe{i}");
                self.cli(first, &[auth, &["-c", "SET", &probe, "1"]].concat()) == "OK"
            });
            if ok {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "TLS cluster did not become ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        for n in &nodes {
            self.cli(n.server.port(), &[auth, &["FLUSHALL"]].concat());
        }
        nodes
    }

    /// `redis-cli` over TLS with the client certificate against `port`; trimmed stdout.
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["--tls", "--cacert", &self.file("ca.crt")])
            .args(["--cert", &self.file("client.crt")])
            .args(["--key", &self.file("client.key")])
            .args(["-p", &port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `redis-server` that listens on a TLS port only.
pub struct TlsServer {
    /// The process (its `port()` is the TLS port).
    pub server: RedisServer,
}

impl TlsServer {
    /// `rediss://{userinfo}127.0.0.1:{port}`; `userinfo` is e.g. `"app:secret@"` or `""`.
    pub fn url(&self, userinfo: &str) -> String {
        format!("rediss://{userinfo}127.0.0.1:{}", self.server.port())
    }
}

/// Whether something accepts TCP connections on `port` (a TLS port does not answer a
/// plain-text `PING`).
pub fn accepts(port: u16) -> bool {
    TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}
