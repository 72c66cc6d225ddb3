#[derive(Debug)]
struct LoadError;

#[memotrace::cached(hard_timeout = "2s")]
async fn error_cannot_express_a_timeout(x: u64) -> Result<u64, LoadError> {
    Ok(x)
}

fn main() {}
