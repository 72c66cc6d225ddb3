//! RFC 3339 UTC timestamps with microseconds, written without allocating.

use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    /// The last second formatted on this thread: `(secs, "2026-11-26T05:44:18.")`.
    static LAST: std::cell::Cell<(u64, [u8; 20])> = const { std::cell::Cell::new((u64::MAX, [0; 20])) };
}

/// Appends `2026-11-26T05:44:18.123456Z` for `now` to `out`; the date part is reused
/// while the second does not change.
pub(crate) fn write_rfc3339(out: &mut String, now: SystemTime) {
    let d = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let cached = LAST.try_with(|c| {
        let (s, prefix) = c.get();
        if s == secs {
            prefix
        } else {
            let mut full = String::with_capacity(27);
            format_full(&mut full, now);
            let mut prefix = [0u8; 20];
            prefix.copy_from_slice(&full.as_bytes()[..20]);
            c.set((secs, prefix));
            prefix
        }
    });
    match cached {
        Ok(prefix) => {
            out.push_str(std::str::from_utf8(&prefix).unwrap_or("1970-01-01T00:00:00."));
            let mut micros = [0u8; 7];
            put(&mut micros[..6], u64::from(d.subsec_micros()));
            micros[6] = b'Z';
            out.push_str(std::str::from_utf8(&micros).unwrap_or("000000Z"));
        }
        Err(_) => format_full(out, now),
    }
}

fn format_full(out: &mut String, now: SystemTime) {
    let d = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let micros = d.subsec_micros();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, day) = civil_from_days(days);
    let mut buf = [0u8; 27];
    put(&mut buf[0..4], u64::try_from(y).unwrap_or(0));
    buf[4] = b'-';
    put(&mut buf[5..7], u64::from(m));
    buf[7] = b'-';
    put(&mut buf[8..10], u64::from(day));
    buf[10] = b'T';
    put(&mut buf[11..13], rem / 3600);
    buf[13] = b':';
    put(&mut buf[14..16], rem % 3600 / 60);
    buf[16] = b':';
    put(&mut buf[17..19], rem % 60);
    buf[19] = b'.';
    put(&mut buf[20..26], u64::from(micros));
    buf[26] = b'Z';
    out.push_str(std::str::from_utf8(&buf).unwrap_or("1970-01-01T00:00:00.000000Z"));
}

fn put(dst: &mut [u8], mut v: u64) {
    for b in dst.iter_mut().rev() {
        *b = b'0' + u8::try_from(v % 10).unwrap_or(0);
        v /= 10;
    }
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        let mut s = String::new();
        write_rfc3339(&mut s, UNIX_EPOCH);
        assert_eq!(s, "1970-01-01T00:00:00.000000Z");
        s.clear();
        write_rfc3339(
            &mut s,
            UNIX_EPOCH + Duration::from_micros(1_709_251_199_999_999),
        );
        assert_eq!(s, "2024-02-29T23:59:59.999999Z");
        s.clear();
        write_rfc3339(&mut s, UNIX_EPOCH + Duration::from_secs(4_102_444_800));
        assert_eq!(s, "2100-01-01T00:00:00.000000Z");
        s.clear();
        // Same second: the cached date part, new microseconds.
        write_rfc3339(
            &mut s,
            UNIX_EPOCH + Duration::from_micros(4_102_444_800_000_042),
        );
        assert_eq!(s, "2100-01-01T00:00:00.000042Z");
    }
}
