//! Log records through the bounded processor: the logger's record processor.

use super::{Bounded, Signal};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter, LogProcessor, SdkLogRecord};
use std::time::Duration;

/// Log records with their scope (the event's target), exported by `L`.
pub(crate) struct Records<L>(pub(crate) L);

type Record = Box<(SdkLogRecord, InstrumentationScope)>;

impl<L: LogExporter + 'static> Signal for Records<L> {
    type Queued = Record;
    type Batched = Record;
    const THREAD: &'static str = "memotrace-otlp-logs";

    fn add(queued: Record, batch: &mut Vec<Record>) {
        batch.push(queued);
    }

    fn export(&mut self, batch: Vec<Record>) -> OTelSdkResult {
        let records: Vec<(&SdkLogRecord, &InstrumentationScope)> =
            batch.iter().map(|record| (&record.0, &record.1)).collect();
        futures_executor::block_on(self.0.export(LogBatch::new(&records)))
    }

    fn shutdown(&mut self) -> OTelSdkResult {
        self.0.shutdown()
    }

    fn warn(dropped: u64, new: u64, error: Option<String>) {
        tracing::warn!(
            target: "memotrace::otel",
            dropped_records = dropped,
            new,
            error,
            "otel_records_dropped"
        );
    }
}

impl<L: LogExporter + 'static> LogProcessor for Bounded<Records<L>> {
    fn emit(&self, record: &mut SdkLogRecord, scope: &InstrumentationScope) {
        self.push(Box::new((record.clone(), scope.clone())));
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.stop(timeout)
    }
}
