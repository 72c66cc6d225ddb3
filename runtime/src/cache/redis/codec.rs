//! Values in Redis: a pluggable [`Codec`] for the value, inside a small printable envelope
//! carrying the entry's times, so a hit decides fresh / refresh-due / stale without a
//! second round trip (no `PTTL`).
//!
//! Stored bytes: `mt1|{created}|{expires}|{refresh}|{stale_until}|{payload}` with times
//! in Unix milliseconds (`0` = never) and `payload` the codec's bytes (JSON by default,
//! so `redis-cli GET` shows readable values).

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// Turns values into bytes and back.
///
/// ```
/// use memotrace::cache::redis::{Codec, JsonCodec};
///
/// let mut bytes = Vec::new();
/// JsonCodec.encode(&vec![1, 2, 3], &mut bytes).unwrap();
/// assert_eq!(bytes, b"[1,2,3]");
/// let back: Vec<u32> = JsonCodec.decode(&bytes).unwrap();
/// assert_eq!(back, [1, 2, 3]);
/// ```
pub trait Codec: Default + Send + Sync + 'static {
    /// Appends the encoding of `value` to `out`.
    fn encode<V: Serialize>(&self, value: &V, out: &mut Vec<u8>) -> Result<(), String>;
    /// Decodes a value.
    fn decode<V: DeserializeOwned>(&self, bytes: &[u8]) -> Result<V, String>;
}

/// serde JSON: the default codec.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonCodec;

impl Codec for JsonCodec {
    fn encode<V: Serialize>(&self, value: &V, out: &mut Vec<u8>) -> Result<(), String> {
        serde_json::to_writer(out, value).map_err(|e| e.to_string())
    }

    fn decode<V: DeserializeOwned>(&self, bytes: &[u8]) -> Result<V, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }
}

/// MessagePack (feature `redis-msgpack`): compact binary values, struct fields by name
/// so adding optional fields stays compatible.
///
/// ```
/// # #[cfg(feature = "redis-msgpack")] {
/// use memotrace::cache::redis::{Codec, MsgPackCodec};
///
/// let mut bytes = Vec::new();
/// MsgPackCodec.encode(&(7u8, "hi"), &mut bytes).unwrap();
/// let back: (u8, String) = MsgPackCodec.decode(&bytes).unwrap();
/// assert_eq!(back, (7, "hi".to_string()));
/// # }
/// ```
#[cfg(feature = "redis-msgpack")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis-msgpack")))]
#[derive(Clone, Copy, Debug, Default)]
pub struct MsgPackCodec;

#[cfg(feature = "redis-msgpack")]
impl Codec for MsgPackCodec {
    fn encode<V: Serialize>(&self, value: &V, out: &mut Vec<u8>) -> Result<(), String> {
        rmp_serde::encode::write_named(out, value).map_err(|e| e.to_string())
    }

    fn decode<V: DeserializeOwned>(&self, bytes: &[u8]) -> Result<V, String> {
        rmp_serde::from_slice(bytes).map_err(|e| e.to_string())
    }
}

/// Wall-clock milliseconds since the Unix epoch: entries are shared between processes, so
/// their times cannot come from a process-local clock.
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The times stored with a value (Unix ms; `u64::MAX` = never).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// When the value was stored.
    pub created: u64,
    /// Fresh while `now < expires`.
    pub expires: u64,
    /// A hit at or after this time refreshes in the background.
    pub refresh: u64,
    /// Served after a failed load while `now < stale_until`; Redis drops the key then.
    pub stale_until: u64,
}

const MAGIC: &[u8] = b"mt1|";

impl Stamp {
    /// Whether the value is fresh at `now`.
    pub(crate) fn is_fresh(&self, now: u64) -> bool {
        now < self.expires
    }

    /// Milliseconds Redis should keep the key (`None`: no expiry).
    pub(crate) fn redis_ttl_ms(&self, now: u64) -> Option<u64> {
        (self.stale_until != u64::MAX).then(|| self.stale_until.saturating_sub(now).max(1))
    }
}

fn put_time(out: &mut Vec<u8>, t: u64) {
    if t != u64::MAX {
        out.extend_from_slice(t.to_string().as_bytes());
    } else {
        out.push(b'0');
    }
    out.push(b'|');
}

/// Encodes `value` with its stamp.
pub(crate) fn encode_entry<C: Codec, V: Serialize>(
    codec: &C,
    stamp: &Stamp,
    value: &V,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(MAGIC);
    for t in [
        stamp.created,
        stamp.expires,
        stamp.refresh,
        stamp.stale_until,
    ] {
        put_time(&mut out, t);
    }
    codec.encode(value, &mut out)?;
    Ok(out)
}

/// Decodes what [`encode_entry`] wrote.
pub(crate) fn decode_entry<C: Codec, V: DeserializeOwned>(
    codec: &C,
    bytes: &[u8],
) -> Result<(Stamp, V), String> {
    let rest = bytes.strip_prefix(MAGIC).ok_or("missing mt1 header")?;
    let mut times = [0u64; 4];
    let mut rest = rest;
    for slot in &mut times {
        let end = rest
            .iter()
            .position(|&b| b == b'|')
            .ok_or("truncated header")?;
        let text = std::str::from_utf8(&rest[..end]).map_err(|e| e.to_string())?;
        let t: u64 = text.parse().map_err(|_| format!("bad time {text:?}"))?;
        *slot = if t == 0 { u64::MAX } else { t };
        rest = &rest[end + 1..];
    }
    let [created, expires, refresh, stale_until] = times;
    let created = if created == u64::MAX { 0 } else { created };
    let value = codec.decode(rest)?;
    Ok((
        Stamp {
            created,
            expires,
            refresh,
            stale_until,
        },
        value,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let stamp = Stamp {
            created: 1_000,
            expires: 1_500,
            refresh: 1_400,
            stale_until: 1_600,
        };
        let bytes = encode_entry(&JsonCodec, &stamp, &"hi").unwrap();
        assert_eq!(bytes, b"mt1|1000|1500|1400|1600|\"hi\"");
        let (back, v): (Stamp, String) = decode_entry(&JsonCodec, &bytes).unwrap();
        assert_eq!((back, v.as_str()), (stamp, "hi"));
        let forever = Stamp {
            created: 7,
            expires: u64::MAX,
            refresh: u64::MAX,
            stale_until: u64::MAX,
        };
        let bytes = encode_entry(&JsonCodec, &forever, &1).unwrap();
        assert_eq!(
            decode_entry::<_, u8>(&JsonCodec, &bytes).unwrap().0,
            forever
        );
        assert_eq!(forever.redis_ttl_ms(7), None);
        assert!(decode_entry::<_, u8>(&JsonCodec, b"garbage").is_err());
        assert!(decode_entry::<_, u8>(&JsonCodec, b"mt1|1|2|3|4|notjson").is_err());
    }
}
