//! The logging runtime: bound context, redaction and JSON/ECS/pretty lines on `tracing`.
//!
//! - [`init`] / [`Builder`]: `APP_ENV` picks pretty console at debug (development), JSON at
//!   info (staging) or JSON at warn (production); `RUST_LOG` overrides the filter and
//!   `MEMOTRACE_LOG_FORMAT` the format.
//! - [`Format::Json`]: one flat JSON object per line — `timestamp`, `level`, `logger`,
//!   `event`, the fields of the event, its spans and the bound context (innermost wins),
//!   `service`, `version`, `environment`. [`Format::Ecs`] is the Elastic Common Schema,
//!   as elastic/ecs-logging specifies it (`@timestamp`, `log.level`, `message` first).
//! - Redaction ([`Redactor`], [`Redacted`]) in every format, whatever path a value took:
//!   sensitive names (normalised across snake, camel and kebab case) in fields, JSON
//!   values and text, Debug output, free text and error messages.
//! - Context binding ([`Logger`], [`bind`]) that follows futures across `.await`.
//! - A panic hook ([`panic::install`]) and a non-blocking writer ([`NonBlocking`]).
//!
//! ```
//! use memotrace::log::{Builder, Format, Logger};
//! let (subscriber, _guard) = Builder::new().format(Format::Json).writer(std::io::sink).ignore_env().build();
//! tracing::subscriber::with_default(subscriber, || {
//!     let log = Logger::new().bind("user_id", 123);
//!     let _scope = log.enter();
//!     tracing::info!(password = "hunter2", "user_login");
//!     // {"timestamp":"…","level":"info","logger":"…","event":"user_login",
//!     //  "password":"***REDACTED***","user_id":123,"service":"…","environment":"development"}
//! });
//! ```

mod config;
mod context;
mod ecs;
mod layer;
mod mask;
pub mod panic;
mod redact;
pub(crate) mod render;
mod timestamp;
mod value;
mod writer;

pub use config::{init, Builder, Environment, Format, InitError, LogGuard};
pub use context::{bind, ContextGuard, FutureExt, Logger, WithContext};
pub use layer::MemotraceLayer;
pub use redact::{NameMatch, Redacted, Redactor, DEFAULT_SENSITIVE, REDACTED};
pub use render::ECS_VERSION;
pub use value::Value;

#[cfg(feature = "otel")]
#[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
pub use crate::otel::OtlpProtocol;
pub use writer::{LineSink, MakeWriterSink, NonBlocking, WriterGuard};

pub(crate) use panic::take_last_panic;
