#[memotrace::cached(hard_timeout = "2s")]
async fn error_cannot_express_a_timeout(x: u64) -> Result<u64, String> {
    Ok(x)
}

fn main() {}
