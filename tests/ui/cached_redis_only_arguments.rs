#[memotrace::cached(store = redis, lock_timeout = "30s")]
async fn f(x: u32) -> u32 { x }

fn main() {}
