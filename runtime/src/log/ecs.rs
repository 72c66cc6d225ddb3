//! How a field name is written in ECS lines, so user fields keep the types ECS gives
//! the names they collide with.

/// What ECS says about a field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EcsName {
    /// Written by the layer itself (`@timestamp`, `log.level`, `message`, `ecs.version`,
    /// `log.logger`): a user field of that name moves under `labels`.
    Reserved,
    /// An ECS object (`host`, `user`, `http`, …): a plain value there would clash with
    /// its sub-fields, so it moves under `labels`.
    Object,
    /// An ECS `long`: written when the value is an integer, else moved under `labels`.
    Long,
    /// An ECS `keyword`/`text`: written as a JSON string whatever the value.
    Keyword,
    /// Not an ECS name: written as is.
    Custom,
}

const RESERVED: &[&str] = &[
    "@timestamp",
    "ecs.version",
    "log.level",
    "log.logger",
    "message",
];

/// ECS field sets (objects at the top level of a document).
const OBJECTS: &[&str] = &[
    "agent",
    "client",
    "cloud",
    "container",
    "data_stream",
    "destination",
    "device",
    "dll",
    "dns",
    "ecs",
    "email",
    "error",
    "event",
    "faas",
    "file",
    "group",
    "host",
    "http",
    "labels",
    "log",
    "network",
    "observer",
    "orchestrator",
    "organization",
    "package",
    "process",
    "registry",
    "related",
    "rule",
    "server",
    "service",
    "source",
    "span",
    "threat",
    "tls",
    "trace",
    "transaction",
    "url",
    "user",
    "user_agent",
    "vulnerability",
];

const LONGS: &[&str] = &[
    "client.port",
    "destination.port",
    "event.duration",
    "event.sequence",
    "event.severity",
    "http.request.body.bytes",
    "http.request.bytes",
    "http.response.body.bytes",
    "http.response.bytes",
    "http.response.status_code",
    "log.origin.file.line",
    "process.pid",
    "process.thread.id",
    "server.port",
    "source.port",
    "url.port",
];

const KEYWORDS: &[&str] = &[
    "client.address",
    "client.ip",
    "error.code",
    "error.id",
    "error.message",
    "error.stack_trace",
    "error.type",
    "event.action",
    "event.dataset",
    "event.id",
    "event.outcome",
    "host.hostname",
    "host.name",
    "http.request.id",
    "http.request.method",
    "http.version",
    "log.origin.file.name",
    "log.origin.function",
    "process.name",
    "process.thread.name",
    "server.address",
    "service.environment",
    "service.name",
    "service.node.name",
    "service.version",
    "span.id",
    "trace.id",
    "transaction.id",
    "url.domain",
    "url.full",
    "url.original",
    "url.path",
    "url.query",
    "url.scheme",
    "user.email",
    "user.id",
    "user.name",
    "user_agent.original",
];

/// What ECS says about `name`.
pub(crate) fn classify(name: &str) -> EcsName {
    let is = |list: &[&str]| list.binary_search(&name).is_ok();
    if is(RESERVED) {
        EcsName::Reserved
    } else if is(OBJECTS) {
        EcsName::Object
    } else if is(LONGS) {
        EcsName::Long
    } else if is(KEYWORDS) {
        EcsName::Keyword
    } else {
        EcsName::Custom
    }
}

/// The key a field moved under `labels` takes: `labels.` and the name with `.`, `*` and
/// `\` replaced by `_` (the ecs-logging spec's sanitisation).
pub(crate) fn label_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + 7);
    key.push_str("labels.");
    key.extend(name.chars().map(|c| {
        if matches!(c, '.' | '*' | '\\') {
            '_'
        } else {
            c
        }
    }));
    key
}

#[cfg(test)]
mod tests {
    use super::{classify, label_key, EcsName, KEYWORDS, LONGS, OBJECTS, RESERVED};

    #[test]
    fn lists_are_sorted_for_binary_search() {
        for list in [RESERVED, OBJECTS, LONGS, KEYWORDS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }

    #[test]
    fn names_are_classified() {
        assert_eq!(classify("message"), EcsName::Reserved);
        assert_eq!(classify("host"), EcsName::Object);
        assert_eq!(classify("http.response.status_code"), EcsName::Long);
        assert_eq!(classify("user.id"), EcsName::Keyword);
        assert_eq!(classify("user_id"), EcsName::Custom);
        assert_eq!(label_key("a.b*c\\d"), "labels.a_b_c_d");
    }
}
