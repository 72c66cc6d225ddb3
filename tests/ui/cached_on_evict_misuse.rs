use memotrace::cache::EvictionCause;

fn gone(_key: &String, _value: &u64, _cause: EvictionCause) {}

#[memotrace::cached(store = redis, ttl = "1m", on_evict = gone)]
async fn on_redis(id: u64) -> u64 {
    id
}

#[memotrace::cached(on_evict = "gone")]
fn not_a_fn(id: u64) -> u64 {
    id
}

fn main() {}
