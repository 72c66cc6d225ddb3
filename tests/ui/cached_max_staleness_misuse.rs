#[memotrace::cached(max_staleness = "5s")]
fn not_tiered(x: u64) -> u64 {
    x
}

#[memotrace::cached(store = tiered, max_staleness = "500ms", name = "too_tight")]
async fn too_tight(x: u64) -> u64 {
    x
}

fn main() {}
