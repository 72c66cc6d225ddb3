//! A database server process for the integration tests, run by a watchdog shell: the shell
//! starts the server, reports `started` (or `failed`), then blocks reading a pipe from
//! this process. When the handle drops — or the test process dies without running
//! destructors (a server kept in a `static`, an abort) — the pipe closes and the shell
//! stops the server and removes its temp dir.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// One server under its watchdog shell.
pub struct Watchdog {
    dir: PathBuf,
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Watchdog {
    /// Runs `start` (a shell script that must print `started` once the server runs) with
    /// `$D` = `dir` (created first), then `stop` when the handle drops or this process
    /// exits. Panics with the script's output and the files of `dir` named in `logs` when
    /// the start fails.
    pub fn spawn(dir: &Path, start: &str, stop: &str, logs: &[&str]) -> Self {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("server temp dir");
        let script = format!(
            "{{ {start}\n}} </dev/null\n\
             read _\n\
             {stop}\n\
             rm -rf \"$D\""
        );
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .env("D", dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sh");
        let stdin = child.stdin.take();
        let mut line = String::new();
        // The start script bounds its own waits (pg_ctl -t, the server's start-up).
        let _ = BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line);
        let mut this = Self {
            dir: dir.to_owned(),
            child,
            stdin,
        };
        if line.trim() != "started" {
            let logs: String = logs
                .iter()
                .map(|l| {
                    let text = std::fs::read_to_string(dir.join(l)).unwrap_or_default();
                    format!("--- {l}:\n{text}\n")
                })
                .collect();
            this.stop();
            panic!("server did not start (said {line:?}):\n{logs}");
        }
        this
    }

    /// The server's temp dir.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Closes the pipe and waits (at most 30 s) for the shell to stop the server.
    fn stop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `ready` every 20 ms until it holds (`true`) or `timeout` passed (`false`).
pub fn poll_until(timeout: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !ready() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}
