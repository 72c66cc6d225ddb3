#[memotrace::cached(cache_err = true)]
fn not_a_result(x: u64) -> u64 {
    x
}

#[memotrace::cached(err_ttl = "30s")]
fn err_ttl_without_cache_err(x: u64) -> Result<u64, String> {
    Ok(x)
}

#[memotrace::cached(ttl = "1m", stale_if_error = "1h", cache_err = true)]
fn cache_err_and_stale_if_error(x: u64) -> Result<u64, String> {
    Ok(x)
}

fn main() {}
