//! Tiered L1 invalidation broadcast over Redis pub/sub.
//!
//! Channel `[{prefix}:]memotrace:invalidate`; a message is
//! `{instance}|{op}|{cache name}|{arg}` with `op` = `k` (one key, `arg` = the key's
//! `{args}`), `c` (clear the cache), `t` (tag `arg`: tiered caches clear their L1, which
//! does not know the tags of entries it took from L2). A process ignores its own
//! messages. On a cluster, `PUBLISH` reaches every node, so the subscriber listens on any
//! one of them (rotating through the configured nodes when one fails).
//!
//! Every subscription, the first one included, starts by clearing every tiered L1 of
//! the backend: messages may have been missed during any period without a live
//! subscription (not subscribed yet, refused, dropped, silent). The subscriber sends a
//! `PING` on its connection every [`HEALTH_EVERY`] and gives it [`HEALTH_TIMEOUT`] to
//! answer, so a silent connection is detected within 1.5 s and replaced. While there is
//! no subscription L1 keeps serving, bounded by its ttl.

use super::bus::{Bus, L1Listener};
use super::connection::{spawn_on_backend, RedisBackend};
use crate::cache::clock;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

/// How often the subscriber checks its connection with a `PING`.
pub(super) const HEALTH_EVERY: Duration = Duration::from_secs(1);

/// How long the subscriber's `PING` may take before the connection counts as dead.
pub(super) const HEALTH_TIMEOUT: Duration = Duration::from_millis(500);

/// One message on the channel.
pub(crate) enum Message<'a> {
    Key(&'a str),
    Clear,
    Tag(&'a str),
}

/// `[{prefix}:]memotrace:invalidate`.
fn channel(backend: &RedisBackend) -> String {
    match backend.config().key_prefix.as_deref() {
        Some(p) if !p.is_empty() => format!("{p}:memotrace:invalidate"),
        _ => "memotrace:invalidate".to_owned(),
    }
}

/// The backend's bus, its subscriber started on first use.
pub(crate) fn bus(backend: &RedisBackend) -> &Bus {
    let mut started = false;
    let bus = backend.inner.bus.get_or_init(|| {
        started = true;
        Bus::new(channel(backend))
    });
    if started {
        spawn_on_backend(subscribe_forever(backend.clone()));
    }
    bus
}

/// Adds a tiered cache to the receivers of this backend's messages.
pub(crate) fn listen(backend: &RedisBackend, listener: &'static dyn L1Listener) {
    bus(backend)
        .listeners
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(listener);
}

/// Resolves once the subscriber is subscribed (or after `timeout`); true when it is.
/// When (coarse-clock ms) `backend`'s invalidation subscription last proved live.
pub(crate) fn confirmed(backend: &RedisBackend) -> Arc<AtomicU64> {
    bus(backend).confirmed.clone()
}

pub(crate) async fn subscribed(backend: &RedisBackend, timeout: Duration) -> bool {
    let mut rx = bus(backend).ready.subscribe();
    tokio::time::timeout(timeout, rx.wait_for(|r| *r))
        .await
        .is_ok_and(|r| r.is_ok())
}

/// A message about one cache, ready to publish (now or from a background task).
pub(crate) struct Outgoing {
    backend: RedisBackend,
    payload: String,
}

impl Outgoing {
    /// `message` about `cache`, from this process.
    pub(super) fn new(backend: &RedisBackend, cache: &str, message: Message<'_>) -> Self {
        let (op, arg) = match message {
            Message::Key(k) => ("k", k),
            Message::Clear => ("c", ""),
            Message::Tag(t) => ("t", t),
        };
        Self {
            backend: backend.clone(),
            payload: format!("{}|{op}|{cache}|{arg}", backend.inner.instance),
        }
    }

    /// Publishes it; fails open (the caller records the error).
    pub(super) async fn send(self) -> super::StoreResult<()> {
        let channel = &bus(&self.backend).channel;
        self.backend
            .query::<i64>(redis::cmd("PUBLISH").arg(channel).arg(self.payload))
            .await
            .map(drop)
    }
}

fn dispatch(bus: &Bus, instance: &str, payload: &str) {
    let mut parts = payload.splitn(4, '|');
    let (Some(from), Some(op), Some(cache), Some(arg)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    if from == instance {
        return;
    }
    let listeners = bus
        .listeners
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for l in listeners {
        match op {
            "k" if l.cache_name() == cache => l.drop_key(arg),
            "c" if l.cache_name() == cache => l.drop_all(),
            "t" => l.drop_all(),
            _ => {}
        }
    }
}

fn confirm(bus: &Bus) {
    bus.confirmed.store(clock::now_ms(), Ordering::Release);
}

fn drop_every_l1(bus: &Bus) {
    let listeners = bus
        .listeners
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for l in listeners {
        l.drop_all();
    }
}

async fn subscribe_forever(backend: RedisBackend) {
    let bus = bus(&backend);
    let config = backend.config().clone();
    let mut node = 0usize;
    loop {
        let url = config
            .nodes
            .get(node % config.nodes.len().max(1))
            .cloned()
            .unwrap_or_default();
        node += 1;
        let attempt = async {
            let client = super::endpoint::node_client(&config, &url)?;
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&bus.channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(config.connect_timeout + config.response_timeout, attempt).await
        {
            Ok(Ok(pubsub)) => {
                // Messages may have been missed before this subscription: the first one
                // too (L1 may have filled while subscribing was refused or impossible).
                drop_every_l1(bus);
                confirm(bus);
                node -= 1;
                bus.ready.send_replace(true);
                listen_while_healthy(bus, &backend.inner.instance, pubsub).await;
                // Messages may be lost from here until we are back: L1 is cleared on
                // resubscription.
                bus.ready.send_replace(false);
            }
            Ok(Err(error)) => tracing::debug!(%error, "memotrace_pubsub_connect_failed"),
            Err(_) => tracing::debug!("memotrace_pubsub_connect_timed_out"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Dispatches messages until the connection closes or a health-check `PING` goes
/// unanswered for [`HEALTH_TIMEOUT`].
async fn listen_while_healthy(bus: &Bus, instance: &str, pubsub: redis::aio::PubSub) {
    let (mut sink, mut messages) = pubsub.split();
    let mut health = tokio::time::interval(HEALTH_EVERY);
    health.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    health.tick().await;
    loop {
        tokio::select! {
            msg = messages.next() => match msg {
                Some(msg) => {
                    if let Ok(payload) = msg.get_payload::<String>() {
                        dispatch(bus, instance, &payload);
                    }
                    confirm(bus);
                }
                None => return,
            },
            _ = health.tick() => {
                let ping = tokio::time::timeout(HEALTH_TIMEOUT, sink.ping::<redis::Value>()).await;
                if !matches!(ping, Ok(Ok(_))) {
                    tracing::debug!("memotrace_pubsub_health_check_failed");
                    return;
                }
                confirm(bus);
            }
        }
    }
}
