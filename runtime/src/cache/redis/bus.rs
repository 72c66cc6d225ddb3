//! The state of one backend's invalidation channel, held by the backend and driven by
//! [`pubsub`](super::pubsub).

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// What a tiered cache does with a message from another process.
pub(crate) trait L1Listener: Send + Sync {
    fn cache_name(&self) -> &'static str;
    fn drop_key(&self, args: &str);
    fn drop_all(&self);
}

/// One backend's invalidation channel: its name, the tiered caches listening, and whether
/// a subscription is live.
pub(crate) struct Bus {
    pub(super) channel: String,
    pub(super) listeners: Arc<Mutex<Vec<&'static dyn L1Listener>>>,
    pub(super) ready: watch::Sender<bool>,
    /// When (coarse-clock ms) the subscription last proved live: subscribed, a message,
    /// or a `PING` answered. Every invalidation published before then has been received.
    pub(super) confirmed: Arc<AtomicU64>,
}

impl Bus {
    pub(super) fn new(channel: String) -> Self {
        let (ready, _) = watch::channel(false);
        Self {
            channel,
            listeners: Arc::new(Mutex::new(Vec::new())),
            ready,
            confirmed: Arc::new(AtomicU64::new(0)),
        }
    }
}
