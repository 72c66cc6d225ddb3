// A type error inside the body is rustc's error, where it is.
#[memotrace::log_performance]
async fn f(x: u32) -> Result<u32, String> {
    let y: String = x;
    Ok(y.len() as u32)
}

fn main() {}
