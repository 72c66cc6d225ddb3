//! The exporter against receivers that misbehave on the wire: each test's receiver is a
//! plain TCP listener that reads a request and answers it as scripted.

use super::{parse_headers, HttpExporter};
use std::io::{BufRead as _, BufReader, ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_millis(500);
const SECRET: &str = "s3cr3t-key";

/// A receiver answering each of the connections it accepts (at most `connections`)
/// with `answer`, after reading the request; it reports each request's head.
struct Scripted {
    addr: SocketAddr,
    requests: mpsc::Receiver<String>,
    thread: Option<JoinHandle<()>>,
}

impl Scripted {
    fn start(connections: usize, mut answer: impl FnMut(&mut TcpStream) + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, requests) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming().take(connections) {
                let mut stream = stream.unwrap();
                let head = read_request(&mut stream);
                let _ = tx.send(head);
                answer(&mut stream);
            }
        });
        Self {
            addr,
            requests,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    /// Waits for the receiver to have answered every connection.
    fn join(mut self) {
        self.thread.take().unwrap().join().unwrap();
    }
}

/// Reads one request (head and `Content-Length` body); returns the head.
fn read_request(stream: &mut TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    head
}

fn exporter(url: String) -> HttpExporter {
    HttpExporter::new(url, &[("x-api-key".into(), SECRET.into())], TIMEOUT).unwrap()
}

/// Posts an empty request; the result and how long it took.
fn post(exporter: &HttpExporter) -> (Result<(), String>, Duration) {
    let started = Instant::now();
    let result = exporter.post(Vec::new()).map_err(|e| e.to_string());
    (result, started.elapsed())
}

#[test]
fn headers_are_pairs_with_percent_decoded_values() {
    assert_eq!(
        parse_headers(" api-key = a%20b%3Dc ,x-tenant=t1,broken, =v,,empty=,bad=%zz%4,sign=%+1,"),
        (
            vec![
                ("api-key".to_owned(), "a b=c".to_owned()),
                ("x-tenant".to_owned(), "t1".to_owned()),
                ("bad".to_owned(), "%zz%4".to_owned()),
                ("sign".to_owned(), "%+1".to_owned()),
            ],
            vec![3, 4, 5]
        )
    );
}

#[test]
fn a_redirect_is_not_followed_and_the_headers_never_reach_its_target() {
    let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = elsewhere.local_addr().unwrap();
    let redirector = Scripted::start(1, move |stream| {
        let answer = format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://localhost:{}/v1/traces\r\nContent-Length: 0\r\n\r\n",
            target.port()
        );
        let _ = stream.write_all(answer.as_bytes());
    });
    let (result, _) = post(&exporter(redirector.url()));
    let error = result.unwrap_err();
    assert!(error.contains("307"), "{error}");
    assert!(redirector.requests.recv().unwrap().contains(SECRET));
    redirector.join();
    // The exporter has returned: a followed redirect would have connected by now.
    elsewhere.set_nonblocking(true).unwrap();
    match elsewhere.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the redirect's target was reached: {other:?}"),
    }
}

/// A 200 answer with a chunked body that never ends on its own: `chunk` written
/// `pause` apart until the client goes away (or `limit` chunks, to bound the test).
fn endless_body(stream: &mut TcpStream, chunk: &[u8], pause: Duration, limit: usize) -> usize {
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
    let mut written = 0;
    while written < limit && stream.write_all(&framed).is_ok() {
        written += 1;
        std::thread::sleep(pause);
    }
    written
}

#[test]
fn a_body_dribbled_slowly_ends_the_export_within_twice_the_timeout() {
    // A byte every 50 ms: no single read waits as long as the timeout.
    let receiver = Scripted::start(1, |stream| {
        endless_body(stream, b"x", Duration::from_millis(50), 200);
    });
    let (result, took) = post(&exporter(receiver.url()));
    assert_eq!(result, Ok(()), "a 200 answer is a success");
    assert!(took < 2 * TIMEOUT + TIMEOUT / 2, "the export took {took:?}");
}

#[test]
fn a_never_ending_body_is_read_no_further_than_the_bound() {
    let (written_tx, written) = mpsc::channel();
    // 16 KiB chunks, up to 256 MiB: far beyond the 64 KiB read and the socket buffers.
    let receiver = Scripted::start(1, move |stream| {
        let n = endless_body(stream, &[b'y'; 16 * 1024], Duration::ZERO, 16 * 1024);
        written_tx.send(n).unwrap();
    });
    let (result, took) = post(&exporter(receiver.url()));
    assert_eq!(result, Ok(()));
    assert!(took < TIMEOUT, "the export took {took:?}");
    let chunks = written.recv().unwrap();
    assert!(chunks < 16 * 1024, "the client read all {chunks} chunks");
}

#[test]
fn a_connection_whose_answer_was_read_is_reused() {
    // One connection, two requests on it: a second connection would wait unanswered.
    let receiver = Scripted::start(1, |stream| {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        stream.write_all(ok).unwrap();
        read_request(stream);
        stream.write_all(ok).unwrap();
    });
    let exporter = exporter(receiver.url());
    assert_eq!(post(&exporter).0, Ok(()));
    assert_eq!(post(&exporter).0, Ok(()));
    receiver.join();
}

#[test]
fn a_connection_closed_mid_answer_leaves_the_exporter_working() {
    let receiver = Scripted::start(2, |stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
        // Dropping the stream closes it, 97 bytes short.
    });
    let exporter = exporter(receiver.url());
    assert_eq!(post(&exporter).0, Ok(()));
    assert_eq!(
        post(&exporter).0,
        Ok(()),
        "the next export uses a new connection"
    );
    receiver.join();
}

#[test]
fn credentials_never_appear_in_an_error() {
    // A port nothing listens on: connecting fails.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://user:{SECRET}@{closed}/v1/traces");
    let (result, _) = post(&exporter(url));
    let error = result.unwrap_err();
    assert!(!error.contains(SECRET), "{error}");
    assert!(error.contains(&closed.to_string()), "{error}");

    // A stalled receiver: the timeout's error.
    let (release, released) = mpsc::channel::<()>();
    let receiver = Scripted::start(1, move |_| {
        let _ = released.recv();
    });
    let url = format!("http://user:{SECRET}@{}/v1/traces", receiver.addr);
    let exporter = exporter(url);
    let error = post(&exporter).0.unwrap_err();
    assert!(!error.contains(SECRET), "{error}");
    assert!(!format!("{exporter:?}").contains(SECRET));
    drop(release);
    receiver.join();

    // A header value the protocol cannot carry.
    let error = HttpExporter::new(
        "http://127.0.0.1:1/v1/traces".into(),
        &[("x-api-key".into(), format!("{SECRET}\n"))],
        TIMEOUT,
    )
    .unwrap_err();
    assert!(!error.contains(SECRET), "{error}");
}

#[test]
fn an_export_error_says_why_it_failed() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let error = post(&exporter(format!("http://{closed}/v1/traces")))
        .0
        .unwrap_err();
    assert!(error.contains("refused"), "{error}");

    let (release, released) = mpsc::channel::<()>();
    let receiver = Scripted::start(1, move |_| {
        let _ = released.recv();
    });
    let error = post(&exporter(receiver.url())).0.unwrap_err();
    assert!(error.contains("timed out"), "{error}");
    drop(release);
    receiver.join();
}

#[test]
fn an_endpoint_that_is_not_an_http_url_is_refused_at_start() {
    for url in [
        // No scheme: `collector` would be read as one.
        "collector:4318/v1/traces".to_owned(),
        "not a url".to_owned(),
        format!("ftp://user:{SECRET}@collector/v1/traces"),
    ] {
        let error = HttpExporter::new(url.clone(), &[], TIMEOUT)
            .map(drop)
            .unwrap_err();
        assert!(error.contains("http://"), "{url}: {error}");
        assert!(!error.contains(SECRET), "{error}");
    }
    for url in [
        "http://[::1]:4318/v1/traces",
        "https://collector.example/v1/traces",
    ] {
        assert!(HttpExporter::new(url.into(), &[], TIMEOUT).is_ok(), "{url}");
    }
}
