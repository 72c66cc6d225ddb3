#[memotrace::cached(ttl = |seconds| *seconds)]
fn lifetime_in_seconds(x: u64) -> u64 {
    x
}

fn main() {}
