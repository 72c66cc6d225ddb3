#[memotrace::cached(ttl = "1m", stale_if_error = "1h", cache_none = true)]
fn f(x: u32) -> u32 { x }

fn main() {}
