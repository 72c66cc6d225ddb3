//! The standard OpenTelemetry environment variables memotrace's export follows (unless
//! `Builder::ignore_env`): the endpoint (and each signal's own), the protocol, request
//! headers and which signals are exported.

use super::http::parse_headers;
use super::{Headers, OtlpConfig, OtlpProtocol, SignalUrls};

impl OtlpConfig {
    /// Fills what the builder left unset from the environment, with a warning in
    /// `warnings` for each value it cannot follow. Headers and signals are read only when
    /// there is an endpoint to export to.
    pub(crate) fn read_env(&mut self, warnings: &mut Vec<String>) {
        if self.endpoint.is_empty() {
            if let Ok(endpoint) = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT") {
                self.endpoint = endpoint.trim().to_owned();
            }
        }
        if self.protocol.is_none() {
            if let Ok(v) = std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL") {
                self.protocol = OtlpProtocol::parse(&v);
                if self.protocol.is_none() {
                    warnings.push(format!(
                        "OTEL_EXPORTER_OTLP_PROTOCOL={v:?} is not one of grpc, http/protobuf; using http/protobuf"
                    ));
                }
            }
        }
        let url = |var: &str| {
            let v = std::env::var(var).ok()?;
            Some(v.trim().to_owned()).filter(|v| !v.is_empty())
        };
        let urls = SignalUrls {
            traces: url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            logs: url("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"),
            metrics: url("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"),
        };
        if self.endpoint.is_empty() {
            if urls.traces.is_some() || urls.logs.is_some() || urls.metrics.is_some() {
                warnings.push(
                    "OTEL_EXPORTER_OTLP_{TRACES,LOGS,METRICS}_ENDPOINT set without \
                     OTEL_EXPORTER_OTLP_ENDPOINT (or Builder::otlp): export is off; they \
                     send a signal elsewhere once export is on"
                        .to_owned(),
                );
            }
            return;
        }
        self.urls = urls;
        let mut headers = |var: &str| {
            let (headers, malformed) = parse_headers(&std::env::var(var).ok()?);
            if !malformed.is_empty() {
                // Named by place: the text may hold a credential.
                let places: Vec<String> = malformed.iter().map(usize::to_string).collect();
                warnings.push(format!(
                    "{var}: entry {} left out, not name=value",
                    places.join(", ")
                ));
            }
            Some(headers)
        };
        self.headers = Headers {
            general: headers("OTEL_EXPORTER_OTLP_HEADERS").unwrap_or_default(),
            traces: headers("OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
            logs: headers("OTEL_EXPORTER_OTLP_LOGS_HEADERS"),
        };
        let signals = &mut self.signals;
        for (var, on) in [
            ("OTEL_TRACES_EXPORTER", &mut signals.traces),
            ("OTEL_LOGS_EXPORTER", &mut signals.logs),
            ("OTEL_METRICS_EXPORTER", &mut signals.metrics),
        ] {
            if let Ok(v) = std::env::var(var) {
                let (otlp, others) = otlp_chosen(&v);
                *on = otlp;
                if otlp && !others.is_empty() {
                    warnings.push(format!(
                        "{var}={v:?}: memotrace exports over OTLP only, not to {others:?}"
                    ));
                }
            }
        }
    }
}

/// Whether an `OTEL_{TRACES,LOGS,METRICS}_EXPORTER` value keeps its signal's OTLP export,
/// and the other exporters it names. The value is a comma-separated list of names, in
/// any case: `none` turns the signal off; names other than `otlp` (`console`, `zipkin`)
/// are returned, for a warning.
fn otlp_chosen(value: &str) -> (bool, Vec<&str>) {
    let names = value.split(',').map(str::trim).filter(|n| !n.is_empty());
    let mut on = true;
    let mut others = Vec::new();
    for name in names {
        if name.eq_ignore_ascii_case("none") {
            on = false;
        } else if !name.eq_ignore_ascii_case("otlp") {
            others.push(name);
        }
    }
    (on, others)
}
