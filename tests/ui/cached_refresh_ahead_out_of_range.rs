#[memotrace::cached(ttl = "1m", refresh_ahead = 1.5)]
fn f(x: u32) -> u32 { x }

fn main() {}
