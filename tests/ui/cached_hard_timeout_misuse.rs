#[memotrace::cached(hard_timeout = "2s")]
async fn not_a_result(x: u64) -> u64 {
    x
}

#[memotrace::cached(hard_timeout = "2s")]
fn not_async(x: u64) -> Result<u64, String> {
    Ok(x)
}

fn main() {}
