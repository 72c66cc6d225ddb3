#[memotrace::cached(store = redis)]
async fn on_redis(x: u32) -> u32 { x }

#[memotrace::cached(store = tiered)]
async fn on_tiered(x: u32) -> u32 { x }

struct Repo;

impl Repo {
    #[memotrace::cached(store = redis, name = "Repo::find", key = "{id}")]
    async fn find(&self, id: u32) -> u32 { id }
}

// Call sites add no errors of their own.
async fn callers() {
    let _ = on_redis(1).await + on_tiered(2).await + Repo.find(3).await;
    let _ = on_redis_invalidate(1).await;
    let _ = on_redis_uncached(1).await;
}

fn main() {
    drop(callers());
}
