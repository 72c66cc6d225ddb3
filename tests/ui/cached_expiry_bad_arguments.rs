#[memotrace::cached(ttl = "1m", ttl = |v| Some(std::time::Duration::from_secs(*v)))]
fn two_ttls(x: u64) -> u64 {
    x
}

#[memotrace::cached(ttl = "1m", ttl_jitter = 1.5)]
fn jitter_out_of_range(x: u64) -> u64 {
    x
}

#[memotrace::cached(ttl_jitter = 0.1)]
fn jitter_without_ttl(x: u64) -> u64 {
    x
}

#[memotrace::cached(ttl = |a, b| std::time::Duration::from_secs(1))]
fn closure_of_two_arguments(x: u64) -> u64 {
    x
}

#[memotrace::cached(ttl = |v| std::time::Duration::from_secs(*v), expires = true)]
fn closure_and_expires(x: u64) -> u64 {
    x
}

#[memotrace::cached(stale_while_revalidate = "30s")]
fn revalidate_without_ttl(x: u64) -> u64 {
    x
}

#[memotrace::cached(tti = "1m", ttl = "1m", stale_while_revalidate = "tomorrow")]
fn revalidate_bad_duration(x: u64) -> u64 {
    x
}

#[memotrace::cached(tti = "1m", ttl = "1m", stale_while_revalidate = "30s")]
fn revalidate_with_tti(x: u64) -> u64 {
    x
}

#[memotrace::cached(ttl = "1m", fail_safe_throttle = "5s")]
fn throttle_without_stale_if_error(x: u64) -> Result<u64, String> {
    Ok(x)
}

fn main() {}
