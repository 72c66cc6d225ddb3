#[memotrace::cached(ttl = "10x", stale_if_error = 1.5)]
fn f(x: u32) -> Result<u32, String> { Ok(x) }

fn main() {}
