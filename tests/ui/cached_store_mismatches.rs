#[memotrace::cached(lock_timeout = "30s")]
async fn memory_with_lock(x: u32) -> u32 { x }

#[memotrace::cached(store = tiered, tti = "5m")]
async fn idle_on_tiered(x: u32) -> u32 { x }

#[memotrace::cached(store = redis, max_capacity = 10)]
async fn bounded_redis(x: u32) -> u32 { x }

fn main() {}
