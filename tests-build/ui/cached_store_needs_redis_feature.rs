#[memotrace::cached(store = redis)]
async fn on_redis(x: u32) -> u32 { x }

#[memotrace::cached(store = tiered)]
async fn on_tiered(x: u32) -> u32 { x }

fn main() {}
