// Nothing keeps a stale value: `stale_while_revalidate` alone answers expired values
// without waiting already.
#[memotrace::cached(ttl = "1m", stale_while_revalidate = "30s", timeout = "200ms")]
async fn no_stale_value(x: u64) -> Result<u64, String> {
    Ok(x)
}

#[memotrace::cached(ttl = "1m", stale_if_error = "1h", timeout = "200ms")]
fn not_async(x: u64) -> Result<u64, String> {
    Ok(x)
}

#[memotrace::cached(ttl = "1m", stale_if_error = "1h", timeout = "2s", hard_timeout = "2s")]
async fn not_before_the_hard_timeout(x: u64) -> Result<u64, String> {
    Ok(x)
}

fn main() {}
