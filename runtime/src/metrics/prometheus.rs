//! The Prometheus text-format renderer.

use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};
use std::sync::{Mutex, PoisonError};

/// A handle on the installed Prometheus recorder; cheap to clone.
#[derive(Clone, Debug)]
pub struct Prometheus {
    handle: PrometheusHandle,
}

impl Prometheus {
    /// Reads the current cache and operation numbers, then renders every metric of the
    /// recorder (memotrace's and the application's own) and the operations' latency
    /// histogram in the Prometheus text format: the body of a `/metrics` response.
    pub fn render(&self) -> String {
        super::collect::counts();
        let mut text = self.handle.render();
        super::histogram::render(&mut text);
        text
    }
}

/// Installs a Prometheus recorder as the process's `metrics` recorder (once: later calls
/// return the same handle) and turns operation timing on
/// ([`perf::set_enabled`](crate::perf::set_enabled)).
///
/// # Errors
/// When another `metrics` recorder was installed first.
pub fn prometheus() -> Result<Prometheus, BuildError> {
    static INSTALLED: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    let handle = match &*installed {
        Some(handle) => handle.clone(),
        None => installed
            .insert(PrometheusBuilder::new().install_recorder()?)
            .clone(),
    };
    crate::perf::set_enabled(true);
    Ok(Prometheus { handle })
}
