//! The OTLP/HTTP exporter of spans and log records: each batch is encoded straight to
//! protobuf ([`wire`](super::wire)) and posted as `application/x-protobuf` by a blocking
//! client on the export thread, within the configured timeout.

use super::wire::{records, spans, EncodedResource};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::redirect::Policy;
use std::fmt;
use std::io::Read as _;
use std::time::{Duration, Instant};

/// At most this much of a response body is read (and discarded), so that the connection
/// can be reused without trusting the receiver's length.
const MAX_RESPONSE: usize = 64 * 1024;

/// Posts one signal's batches to its URL (`…/v1/traces` or `…/v1/logs`).
pub(crate) struct HttpExporter {
    client: Client,
    timeout: Duration,
    url: String,
    /// The URL in messages: [`shown`].
    shown_url: String,
    headers: HeaderMap,
    resource: EncodedResource,
}

impl fmt::Debug for HttpExporter {
    /// The URL only, without credentials: headers often carry them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpExporter")
            .field("url", &self.shown_url)
            .finish_non_exhaustive()
    }
}

impl HttpExporter {
    /// An exporter posting to `url` with `headers`, each request bounded by `timeout`.
    pub(crate) fn new(
        url: String,
        headers: &[(String, String)],
        timeout: Duration,
    ) -> Result<Self, String> {
        // Refused here rather than failing every export: an endpoint without its scheme
        // (`collector:4318`) is a URL whose scheme is `collector`.
        let http = reqwest::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !http {
            return Err(format!(
                "OTLP endpoint {:?} is not an http:// or https:// URL",
                shown(&url)
            ));
        }
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|e| format!("OTLP header name {name:?}: {e}"))?;
            // The value is not repeated in the error: it may be a credential.
            let value = HeaderValue::try_from(value.as_str())
                .map_err(|e| format!("OTLP header {name}: {e}"))?;
            map.insert(name, value);
        }
        // The blocking client owns a runtime, which cannot be built (or dropped) inside
        // another one: it is built on a thread of its own, as the application may be
        // starting export from within `#[tokio::main]`. Redirects are not followed: the
        // headers (credentials) would go wherever the answer points.
        let client = std::thread::Builder::new()
            .name("memotrace-otlp-client".into())
            .spawn(move || {
                Client::builder()
                    .timeout(timeout)
                    .redirect(Policy::none())
                    .build()
            })
            .map_err(|e| format!("OTLP HTTP client thread: {e}"))?
            .join()
            .map_err(|_| "OTLP HTTP client thread panicked".to_owned())?
            .map_err(|e| format!("OTLP HTTP client: {e}"))?;
        Ok(Self {
            client,
            timeout,
            shown_url: shown(&url),
            url,
            headers: map,
            resource: EncodedResource::default(),
        })
    }

    /// Posts one encoded request; anything but a 2xx answer is an error (a redirect
    /// too).
    fn post(&self, body: Vec<u8>) -> OTelSdkResult {
        let started = Instant::now();
        let response = self
            .client
            .post(&self.url)
            .headers(self.headers.clone())
            .header(CONTENT_TYPE, "application/x-protobuf")
            .body(body)
            .send()
            .map_err(|e| {
                OTelSdkError::InternalFailure(format!(
                    "OTLP export to {}: {}",
                    self.shown_url,
                    with_causes(&e.without_url())
                ))
            })?;
        let status = response.status();
        discard_body(response, started + self.timeout);
        if status.is_success() {
            Ok(())
        } else {
            Err(OTelSdkError::InternalFailure(format!(
                "OTLP export to {}: HTTP status {status}",
                self.shown_url
            )))
        }
    }
}

/// `error` and its causes, `: `-separated (the client's own message alone is only
/// "error sending request").
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text = format!("{text}: {e}");
        cause = e.source();
    }
    text
}

/// Reads and discards the body, so that the connection can be reused: at most
/// [`MAX_RESPONSE`] bytes, until `deadline`. The client's timeout bounds each read, not
/// the body, so a receiver dribbling bytes would otherwise hold the export thread for as
/// many timeouts as it sends pieces; the read under way at the deadline is the last, and
/// a body cut short closes its connection.
fn discard_body(mut response: Response, deadline: Instant) {
    const CHUNK: usize = 8 * 1024;
    let mut buf = [0; CHUNK];
    let mut left = MAX_RESPONSE;
    while left > 0 && Instant::now() < deadline {
        match response.read(&mut buf[..left.min(CHUNK)]) {
            Ok(0) | Err(_) => break,
            Ok(n) => left -= n,
        }
    }
}

impl SpanExporter for HttpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.post(spans::request(&self.resource, &batch))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = EncodedResource::new(resource);
    }
}

impl LogExporter for HttpExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        self.post(records::request(&self.resource, &batch))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = EncodedResource::new(resource);
    }
}

/// `url` as messages show it: without the user name and password it may carry (the
/// client sends them as basic authentication).
pub(crate) fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            // Both fail only for URLs that cannot carry credentials.
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.into()
        }
        Err(_) => url
            .rsplit_once('@')
            .map_or(url, |(_, rest)| rest)
            .to_owned(),
    }
}

/// The headers of an `OTEL_EXPORTER_OTLP_HEADERS` value: `name=value` entries separated
/// by commas, values percent-decoded; and the places (from 1) of the entries left out
/// because they are not `name=value` with a name and a value.
pub(crate) fn parse_headers(value: &str) -> (Vec<(String, String)>, Vec<usize>) {
    let mut headers = Vec::new();
    let mut malformed = Vec::new();
    let entries = value.split(',').filter(|entry| !entry.trim().is_empty());
    for (place, entry) in entries.enumerate() {
        let pair = entry
            .split_once('=')
            .map(|(name, value)| (name.trim(), percent_decode(value.trim())))
            .filter(|(name, value)| !name.is_empty() && !value.is_empty());
        match pair {
            Some((name, value)) => headers.push((name.to_owned(), value)),
            None => malformed.push(place + 1),
        }
    }
    (headers, malformed)
}

/// `%XX` escapes decoded; an invalid escape or non-UTF-8 result keeps the text as given.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests;
