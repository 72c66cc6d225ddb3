struct Repo;

impl Repo {
    #[memotrace::cached(store = redis, key = "{id}")]
    async fn get(&self, id: u64) -> u64 { id }
}

fn main() {}
