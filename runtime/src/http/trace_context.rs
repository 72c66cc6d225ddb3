//! W3C Trace Context (`traceparent` / `tracestate`): strict parsing, and a new trace when
//! the incoming header is missing, malformed or oversized.

use http::HeaderMap;

/// The longest `tracestate` kept (the W3C limit is 32 members; 512 bytes is the size
/// every implementation must propagate).
const MAX_TRACESTATE: usize = 512;

/// The request's trace, in the request extensions for handlers and outgoing calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lowercase hex digits: the caller's trace id, or a new one.
    pub trace_id: String,
    /// The caller's span id (16 lowercase hex digits) when a valid `traceparent` came in.
    pub parent_span_id: Option<String>,
    /// The caller's `sampled` flag (true for a new trace).
    pub sampled: bool,
    /// The incoming `tracestate`, when it came with a valid `traceparent` and is at most
    /// 512 bytes of visible ASCII.
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// The context of `headers`: the incoming trace when `traceparent` is valid, else a
    /// new trace. Never fails.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some((trace_id, parent, flags)) = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_traceparent)
        else {
            return Self::new_trace();
        };
        let tracestate = headers
            .get("tracestate")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= MAX_TRACESTATE)
            .map(str::to_owned);
        Self {
            trace_id: trace_id.to_owned(),
            parent_span_id: Some(parent.to_owned()),
            sampled: flags & 1 == 1,
            tracestate,
        }
    }

    fn new_trace() -> Self {
        Self {
            trace_id: uuid::Uuid::new_v4().simple().to_string(),
            parent_span_id: None,
            sampled: true,
            tracestate: None,
        }
    }
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `00-{trace_id}-{parent_id}-{flags}`; a later version may append `-…` fields. `None`
/// for anything else, an all-zero id or version `ff`.
fn parse_traceparent(value: &str) -> Option<(&str, &str, u8)> {
    let value = value.trim();
    if value.len() < 55 || value.len() > 512 {
        return None;
    }
    let version = value.get(..2)?;
    if !is_lower_hex(version, 2) || version == "ff" || (version == "00" && value.len() != 55) {
        return None;
    }
    if value.len() > 55 && value.as_bytes()[55] != b'-' {
        return None;
    }
    let fields = value.get(3..55)?;
    let mut parts = fields.split('-');
    let (trace_id, parent, flags) = (parts.next()?, parts.next()?, parts.next()?);
    let valid = value.as_bytes()[2] == b'-'
        && is_lower_hex(trace_id, 32)
        && is_lower_hex(parent, 16)
        && is_lower_hex(flags, 2)
        && trace_id.bytes().any(|b| b != b'0')
        && parent.bytes().any(|b| b != b'0');
    valid.then(|| (trace_id, parent, u8::from_str_radix(flags, 16).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::parse_traceparent;

    #[test]
    fn accepts_only_well_formed_traceparents() {
        let ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            parse_traceparent(ok),
            Some(("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 1))
        );
        let future = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra";
        assert!(parse_traceparent(future).is_some());
        let long = format!(
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-{}",
            "a".repeat(600)
        );
        for bad in [
            "",
            "garbage",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00x",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-é1",
            "é-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            long.as_str(),
        ] {
            assert_eq!(parse_traceparent(bad), None, "{bad}");
        }
    }
}
