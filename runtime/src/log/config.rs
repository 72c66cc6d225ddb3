//! `init()` and the [`Builder`]: environment defaults, overrides, and installation.

use super::layer::{Inner, MemotraceLayer};
use super::render::Statics;
use super::writer::{LineSink, MakeWriterSink, NonBlocking, WriterGuard};
use super::Redactor;
use std::fmt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::EnvFilter;

/// The deployment environment, which picks the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Environment {
    /// Pretty coloured console at `debug` (the default).
    Development,
    /// JSON at `info`.
    Staging,
    /// JSON at `warn`.
    Production,
}

impl Environment {
    /// Parses `development`/`dev`, `staging`/`stage`, `production`/`prod` (any case).
    ///
    /// ```
    /// use memotrace::log::Environment;
    /// assert_eq!(Environment::parse("PROD"), Some(Environment::Production));
    /// assert_eq!(Environment::parse("qa"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" | "local" => Some(Self::Development),
            "staging" | "stage" => Some(Self::Staging),
            "production" | "prod" => Some(Self::Production),
            _ => None,
        }
    }

    /// The name written in the `environment` field.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }

    /// The default format of this environment.
    pub const fn default_format(self) -> Format {
        match self {
            Self::Development => Format::Pretty,
            Self::Staging | Self::Production => Format::Json,
        }
    }

    /// The default filter of this environment.
    pub const fn default_filter(self) -> &'static str {
        match self {
            Self::Development => "debug",
            Self::Staging => "info",
            Self::Production => "warn",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Human-readable console lines, coloured when `ansi` is on.
    Pretty,
    /// One flattened JSON object per line (event, span and bound fields flattened).
    Json,
    /// Elastic Common Schema JSON (`@timestamp`, `log.level`, `message`, `service.name`, …).
    Ecs,
}

impl Format {
    /// Parses `pretty`/`console`, `json`, `ecs` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pretty" | "console" | "text" => Some(Self::Pretty),
            "json" => Some(Self::Json),
            "ecs" => Some(Self::Ecs),
            _ => None,
        }
    }
}

/// Why [`init`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum InitError {
    /// A global subscriber is already installed (by an earlier `init` or someone else).
    AlreadyInitialized(String),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyInitialized(why) => write!(f, "logging is already initialised: {why}"),
        }
    }
}

impl std::error::Error for InitError {}

/// Keeps the log writer alive; dropping it flushes what is queued. Hold it in `main`.
#[must_use = "dropping the guard flushes and stops the log writer; keep it until the end of main"]
#[derive(Debug)]
pub struct LogGuard {
    writer: Option<WriterGuard>,
    warnings: Vec<String>,
    #[cfg(feature = "otel")]
    otel: Option<crate::otel::Otel>,
}

impl LogGuard {
    /// Flushes the queued lines now (and, with OTLP export on, sends the ended spans, log
    /// records and current metrics, waiting for the collector's answer or the export
    /// timeout).
    pub fn flush(&self) {
        if let Some(w) = &self.writer {
            w.flush();
        }
        #[cfg(feature = "otel")]
        if let Some(otel) = &self.otel {
            otel.force_flush();
        }
    }

    /// Spans not exported: the export queue was full, or the collector failed or could
    /// not be reached. Each interval with new drops also logs one `otel_spans_dropped`
    /// warning, whose `error` field is the last export failure's (the collector's HTTP
    /// status, a refused connection, a timeout).
    #[cfg(feature = "otel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
    pub fn dropped_spans(&self) -> u64 {
        self.otel
            .as_ref()
            .map_or(0, crate::otel::Otel::dropped_spans)
    }

    /// Spans the collector accepted.
    #[cfg(feature = "otel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
    pub fn exported_spans(&self) -> u64 {
        self.otel
            .as_ref()
            .map_or(0, crate::otel::Otel::exported_spans)
    }

    /// Log records not exported over OTLP, for the same reasons as
    /// [`LogGuard::dropped_spans`]; each interval with new drops logs one
    /// `otel_records_dropped` warning with the last export failure in `error`. The lines
    /// themselves are written as usual.
    #[cfg(feature = "otel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
    pub fn dropped_records(&self) -> u64 {
        self.otel
            .as_ref()
            .map_or(0, crate::otel::Otel::dropped_records)
    }

    /// Log records the collector accepted.
    #[cfg(feature = "otel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
    pub fn exported_records(&self) -> u64 {
        self.otel
            .as_ref()
            .map_or(0, crate::otel::Otel::exported_records)
    }

    /// Lines lost because the writer's queue was full.
    pub fn dropped_lines(&self) -> u64 {
        self.writer.as_ref().map_or(0, WriterGuard::dropped_lines)
    }

    /// The configuration problems found (bad `APP_ENV`, `RUST_LOG`, …), each also logged
    /// once as a warning by `init`.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// Configures logging from the environment and installs it as the global subscriber.
///
/// `APP_ENV` (development | staging | production) picks the defaults, `RUST_LOG`
/// overrides the filter, `MEMOTRACE_LOG_FORMAT` (pretty | json | ecs) forces the format,
/// `MEMOTRACE_METRICS` (on | off) switches operation metrics, and (feature `otel`)
/// `OTEL_EXPORTER_OTLP_ENDPOINT` turns on OTLP export (`OTEL_EXPORTER_OTLP_PROTOCOL`:
/// `http/protobuf` or `grpc`).
/// A bad value falls back to the default with one warning naming it. Also installs the
/// panic hook. Calling it twice returns [`InitError::AlreadyInitialized`].
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let _log = memotrace::log::init()?;
///     tracing::info!(user_id = 123, "user_login");
///     Ok(())
/// }
/// ```
pub fn init() -> Result<LogGuard, InitError> {
    Builder::new().init()
}

/// Configures logging in code; environment variables still override what they name
/// unless [`ignore_env`](Builder::ignore_env) is called.
///
/// ```
/// use memotrace::log::{Builder, Environment, Format};
/// let (subscriber, _guard) = Builder::new()
///     .service("api-server")
///     .version("1.0.0")
///     .environment(Environment::Production)
///     .format(Format::Json)
///     .filter("info")
///     .writer(std::io::sink)
///     .ignore_env()
///     .build();
/// tracing::subscriber::with_default(subscriber, || tracing::info!("started"));
/// ```
pub struct Builder {
    service: Option<String>,
    version: Option<String>,
    environment: Option<Environment>,
    format: Option<Format>,
    filter: Option<String>,
    sink: Option<Box<dyn LineSink>>,
    non_blocking: bool,
    capacity: usize,
    use_env: bool,
    redactor: Redactor,
    panic_hook: bool,
    thread: bool,
    process: bool,
    ansi: Option<bool>,
    metrics: Option<bool>,
    #[cfg(feature = "otel")]
    otlp: Option<crate::otel::OtlpConfig>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("service", &self.service)
            .field("environment", &self.environment)
            .field("format", &self.format)
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// Defaults: service = the executable's name, stdout through a non-blocking writer,
    /// the default redaction list, panic hook on, environment variables honoured.
    pub fn new() -> Self {
        Self {
            service: None,
            version: None,
            environment: None,
            format: None,
            filter: None,
            sink: None,
            non_blocking: true,
            capacity: 16 * 1024,
            use_env: true,
            redactor: Redactor::default(),
            panic_hook: true,
            thread: false,
            process: false,
            ansi: None,
            metrics: None,
            #[cfg(feature = "otel")]
            otlp: None,
        }
    }

    /// The `service` field.
    #[must_use]
    pub fn service(mut self, name: impl Into<String>) -> Self {
        self.service = Some(name.into());
        self
    }

    /// The `version` field.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The environment (`APP_ENV` overrides it).
    #[must_use]
    pub fn environment(mut self, env: Environment) -> Self {
        self.environment = Some(env);
        self
    }

    /// The format (`MEMOTRACE_LOG_FORMAT` overrides it).
    #[must_use]
    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    /// An `EnvFilter` directive such as `"info"` or `"warn,my_crate=debug"` (`RUST_LOG`
    /// overrides it).
    #[must_use]
    pub fn filter(mut self, directives: impl Into<String>) -> Self {
        self.filter = Some(directives.into());
        self
    }

    /// Where lines go: any `MakeWriter` (`std::io::stdout`, `std::io::sink`, a test
    /// writer). Written through the non-blocking worker unless
    /// [`blocking`](Builder::blocking) is called.
    #[must_use]
    pub fn writer<M>(mut self, make_writer: M) -> Self
    where
        M: for<'a> MakeWriter<'a> + Send + Sync + 'static,
    {
        self.sink = Some(Box::new(MakeWriterSink(make_writer)));
        self
    }

    /// Writes in the caller's thread (tests, benchmarks, writers that are already
    /// non-blocking).
    #[must_use]
    pub fn blocking(mut self) -> Self {
        self.non_blocking = false;
        self
    }

    /// Lines the non-blocking queue holds before it drops (and counts) new ones.
    #[must_use]
    pub fn buffer_lines(mut self, lines: usize) -> Self {
        self.capacity = lines;
        self
    }

    /// Ignores `APP_ENV`, `RUST_LOG` and `MEMOTRACE_LOG_FORMAT`.
    #[must_use]
    pub fn ignore_env(mut self) -> Self {
        self.use_env = false;
        self
    }

    /// Replaces the redaction rules.
    #[must_use]
    pub fn redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// Adds names to redact, matched anywhere in a field name once both are normalised
    /// (`.redact(["tenant_ref"])` hides `tenantRef` and `x-tenant-ref`); see
    /// [`Redactor`] for other kinds of match.
    #[must_use]
    pub fn redact<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.redactor = self.redactor.with(names);
        self
    }

    /// Removes names from the redaction list (`.unredact(["session"])` shows the
    /// `session` field), compared normalised.
    #[must_use]
    pub fn unredact<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.redactor = self.redactor.without(names);
        self
    }

    /// Whether `init` installs the panic hook (default on).
    #[must_use]
    pub fn panic_hook(mut self, on: bool) -> Self {
        self.panic_hook = on;
        self
    }

    /// Adds `thread` (name or id) to JSON lines (always in ECS).
    #[must_use]
    pub fn thread_field(mut self, on: bool) -> Self {
        self.thread = on;
        self
    }

    /// Adds `process` (pid) to JSON lines (always in ECS).
    #[must_use]
    pub fn process_field(mut self, on: bool) -> Self {
        self.process = on;
        self
    }

    /// Colours in the pretty format (default: on when writing to stdout and stdout is a
    /// terminal, unless `NO_COLOR` is set).
    #[must_use]
    pub fn ansi(mut self, on: bool) -> Self {
        self.ansi = Some(on);
        self
    }

    /// Turns operation metrics ([`crate::perf`]) on or off when this config is applied
    /// (`MEMOTRACE_METRICS=on|off` overrides it). Unset, OTLP export turns them on (its
    /// metrics carry the operations' numbers).
    #[must_use]
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = Some(on);
        self
    }

    /// Exports spans, log records and metrics over OTLP to a collector at `endpoint`,
    /// e.g. `"http://localhost:4318"` for HTTP/protobuf (`/v1/traces`, `/v1/logs` and
    /// `/v1/metrics` are appended) or `"http://localhost:4317"` for gRPC
    /// ([`otlp_protocol`](Builder::otlp_protocol)). Without it, `OTEL_EXPORTER_OTLP_ENDPOINT` does the same unless
    /// [`ignore_env`](Builder::ignore_env) is called. Export runs on background threads:
    /// a slow or absent collector never blocks a call; what does not fit the queue is
    /// dropped and counted ([`LogGuard::dropped_spans`]). Headers a collector needs
    /// (an API key) are read from `OTEL_EXPORTER_OTLP_HEADERS` (`name=value,…`, values
    /// percent-encoded; `OTEL_EXPORTER_OTLP_{TRACES,LOGS,METRICS}_HEADERS` in its place
    /// for one signal), also unless `ignore_env` is called;
    /// `OTEL_EXPORTER_OTLP_{TRACES,LOGS,METRICS}_ENDPOINT` sends one signal to its own
    /// URL, used as it is; `OTEL_TRACES_EXPORTER`,
    /// `OTEL_LOGS_EXPORTER` or `OTEL_METRICS_EXPORTER` set to `none` leaves that signal out.
    #[cfg(feature = "otel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
    #[must_use]
    pub fn otlp(mut self, endpoint: impl Into<String>) -> Self {
        self.otlp_config().endpoint = endpoint.into();
        self
    }

    /// The OTLP wire protocol (default
    /// [`HttpProtobuf`](super::OtlpProtocol::HttpProtobuf)); without it,
    /// `OTEL_EXPORTER_OTLP_PROTOCOL` (`grpc` or `http/protobuf`) picks it unless
    /// [`ignore_env`](Builder::ignore_env) is called. gRPC needs the `otel-grpc` feature;
    /// its endpoint is the collector's gRPC address, e.g. `"http://localhost:4317"`.
    #[cfg(feature = "otel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
    #[must_use]
    pub fn otlp_protocol(mut self, protocol: crate::otel::OtlpProtocol) -> Self {
        self.otlp_config().protocol = Some(protocol);
        self
    }

    /// Spans (and, separately, log records) that may wait for OTLP export before new ones
    /// are dropped (default 2048), and how long one export request may take (default 5 s).
    #[cfg(feature = "otel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
    #[must_use]
    pub fn otlp_limits(mut self, queue: usize, timeout: std::time::Duration) -> Self {
        let config = self.otlp_config();
        (config.queue, config.timeout) = (queue.max(1), timeout);
        self
    }

    #[cfg(feature = "otel")]
    fn otlp_config(&mut self) -> &mut crate::otel::OtlpConfig {
        self.otlp
            .get_or_insert_with(crate::otel::OtlpConfig::default)
    }

    fn resolve(&mut self) -> Resolved {
        let mut warnings = Vec::new();
        let var = |name: &str| {
            if self.use_env {
                std::env::var(name).ok().filter(|v| !v.trim().is_empty())
            } else {
                None
            }
        };
        let mut environment = self.environment.unwrap_or(Environment::Development);
        if let Some(v) = var("APP_ENV") {
            match Environment::parse(&v) {
                Some(e) => environment = e,
                None => warnings.push(format!(
                    "APP_ENV={v:?} is not one of development, staging, production; using {environment}"
                )),
            }
        }
        let mut format = self.format.unwrap_or_else(|| environment.default_format());
        if let Some(v) = var("MEMOTRACE_LOG_FORMAT") {
            match Format::parse(&v) {
                Some(f) => format = f,
                None => warnings.push(format!(
                    "MEMOTRACE_LOG_FORMAT={v:?} is not one of pretty, json, ecs; using {}",
                    format!("{format:?}").to_lowercase()
                )),
            }
        }
        let default_filter = self
            .filter
            .clone()
            .unwrap_or_else(|| environment.default_filter().to_owned());
        let fallback = || {
            EnvFilter::try_new(environment.default_filter())
                .unwrap_or_else(|_| EnvFilter::new("info"))
        };
        let mut filter = match EnvFilter::try_new(&default_filter) {
            Ok(f) => f,
            Err(e) => {
                warnings.push(format!(
                    "log filter {default_filter:?} is invalid ({e}); using {:?}",
                    environment.default_filter()
                ));
                fallback()
            }
        };
        if let Some(v) = var("RUST_LOG") {
            match EnvFilter::try_new(&v) {
                Ok(f) => filter = f,
                Err(e) => warnings.push(format!(
                    "RUST_LOG={v:?} is invalid ({e}); using {default_filter:?}"
                )),
            }
        }
        let ansi = self.ansi.unwrap_or_else(|| {
            use std::io::IsTerminal as _;
            // Colour the terminal only: not files, pipes or custom writers.
            std::env::var_os("NO_COLOR").is_none()
                && self.sink.is_none()
                && std::io::stdout().is_terminal()
        });
        let service = self
            .service
            .clone()
            .or_else(|| var("MEMOTRACE_SERVICE"))
            .or_else(|| {
                std::env::current_exe()
                    .ok()
                    .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            });
        let version = self.version.clone().or_else(|| var("MEMOTRACE_VERSION"));
        let (sink, writer): (Box<dyn LineSink>, Option<WriterGuard>) = {
            let target: Box<dyn LineSink> = self
                .sink
                .take()
                .unwrap_or_else(|| Box::new(MakeWriterSink(std::io::stdout)));
            if self.non_blocking {
                let (nb, guard) = NonBlocking::new(SinkWrite(target), self.capacity);
                (Box::new(nb), Some(guard))
            } else {
                (target, None)
            }
        };
        let mut metrics = self.metrics;
        if let Some(v) = var("MEMOTRACE_METRICS") {
            match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "on" | "yes" => metrics = Some(true),
                "0" | "false" | "off" | "no" => metrics = Some(false),
                _ => warnings.push(format!(
                    "MEMOTRACE_METRICS={v:?} is not one of on, off; ignoring it"
                )),
            }
        }
        if let Some(on) = metrics {
            crate::perf::set_enabled(on);
        }
        #[cfg(feature = "otel")]
        let otel = self.start_otel(
            &crate::otel::ServiceFields {
                name: service.as_deref(),
                version: version.as_deref(),
                environment: environment.as_str(),
            },
            &mut warnings,
        );
        // OTLP metrics carry the operations' numbers: record them unless told not to.
        #[cfg(feature = "otel")]
        if otel
            .as_ref()
            .is_some_and(crate::otel::Otel::exports_metrics)
            && metrics.is_none()
        {
            crate::perf::set_enabled(true);
        }
        let layer = MemotraceLayer::new(Inner {
            format,
            ansi,
            redactor: self.redactor.clone(),
            statics: Statics {
                service,
                version,
                environment: Some(environment.as_str().to_owned()),
                thread: self.thread,
                process: self.process,
            },
            sink,
            #[cfg(feature = "otel")]
            otel_logger: otel.as_ref().and_then(crate::otel::Otel::logger),
            #[cfg(feature = "otel")]
            dispatch: std::sync::OnceLock::new(),
        });
        Resolved {
            layer,
            filter,
            #[cfg(feature = "otel")]
            tracer: otel.as_ref().and_then(crate::otel::Otel::tracer),
            guard: LogGuard {
                writer,
                warnings,
                #[cfg(feature = "otel")]
                otel,
            },
        }
    }

    /// Starts OTLP export when an endpoint is configured; a failure is a warning.
    #[cfg(feature = "otel")]
    fn start_otel(
        &mut self,
        service: &crate::otel::ServiceFields<'_>,
        warnings: &mut Vec<String>,
    ) -> Option<crate::otel::Otel> {
        let mut config = self.otlp.take().unwrap_or_default();
        if self.use_env {
            config.read_env(warnings);
        }
        if config.endpoint.is_empty() {
            return None;
        }
        match crate::otel::Otel::start(&config, service) {
            Ok(otel) => Some(otel),
            Err(e) => {
                warnings.push(format!("OTLP export is off: {e}"));
                None
            }
        }
    }

    /// The layer (with its filter) to add to your own `tracing_subscriber::registry()`,
    /// and the guard of its writer.
    #[cfg(not(feature = "otel"))]
    pub fn layer<S>(
        mut self,
    ) -> (
        impl tracing_subscriber::Layer<S> + Send + Sync + 'static,
        LogGuard,
    )
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        use tracing_subscriber::Layer as _;
        let r = self.resolve();
        (r.layer.with_filter(r.filter), r.guard)
    }

    /// The layer (with its filter) to add to your own `tracing_subscriber::registry()`,
    /// and the guard of its writer; with OTLP export on, the OpenTelemetry layer is part
    /// of it.
    #[cfg(feature = "otel")]
    pub fn layer<S>(
        mut self,
    ) -> (
        impl tracing_subscriber::Layer<S> + Send + Sync + 'static,
        LogGuard,
    )
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a> + Send + Sync,
    {
        use tracing_subscriber::Layer as _;
        let r = self.resolve();
        let layer = tracing_subscriber::Layer::and_then(otel_layer(r.tracer), r.layer);
        (layer.with_filter(r.filter), r.guard)
    }

    /// A complete subscriber, not installed: for `tracing::subscriber::with_default`
    /// (tests) or `set_global_default`.
    pub fn build(mut self) -> (impl tracing::Subscriber + Send + Sync + 'static, LogGuard) {
        let r = self.resolve();
        let subscriber = tracing_subscriber::registry().with(r.filter);
        #[cfg(feature = "otel")]
        let subscriber = subscriber.with(otel_layer(r.tracer));
        (subscriber.with(r.layer), r.guard)
    }

    /// Installs the subscriber globally (and the panic hook), then logs each
    /// configuration warning once.
    ///
    /// # Errors
    /// [`InitError::AlreadyInitialized`] when a global subscriber is already set.
    pub fn init(mut self) -> Result<LogGuard, InitError> {
        let panic_hook = self.panic_hook;
        let r = self.resolve();
        let subscriber = tracing_subscriber::registry().with(r.filter);
        #[cfg(feature = "otel")]
        let subscriber = subscriber.with(otel_layer(r.tracer));
        subscriber
            .with(r.layer)
            .try_init()
            .map_err(|e| InitError::AlreadyInitialized(e.to_string()))?;
        if panic_hook {
            super::panic::install();
        }
        for w in &r.guard.warnings {
            tracing::warn!(target: "memotrace::log", problem = %w, "invalid_log_config");
        }
        Ok(r.guard)
    }
}

struct Resolved {
    layer: MemotraceLayer,
    filter: EnvFilter,
    #[cfg(feature = "otel")]
    tracer: Option<opentelemetry_sdk::trace::SdkTracer>,
    guard: LogGuard,
}

/// The tracing-opentelemetry layer over the OTLP tracer, when export is on.
#[cfg(feature = "otel")]
fn otel_layer<S>(
    tracer: Option<opentelemetry_sdk::trace::SdkTracer>,
) -> Option<impl tracing_subscriber::Layer<S>>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    use tracing_subscriber::Layer as _;
    // Spans only: events reach the collector as log records, not as span events too.
    // A span carries the attributes its code records; the layer's own extras are off:
    // code location (three attributes), thread id and name (a `String` per span), and
    // busy/idle times (four clock reads per span) would each be encoded and sent with
    // every span.
    tracer.map(|t| {
        tracing_opentelemetry::layer()
            .with_tracer(t)
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                !meta.is_event()
            }))
    })
}

/// Adapts a [`LineSink`] into `io::Write` for the worker thread.
struct SinkWrite(Box<dyn LineSink>);

impl std::io::Write for SinkWrite {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_line(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
