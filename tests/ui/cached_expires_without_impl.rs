#[memotrace::cached(expires = true)]
fn not_expiring(x: u64) -> String {
    x.to_string()
}

fn main() {}
