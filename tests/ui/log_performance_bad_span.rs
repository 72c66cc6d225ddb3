use memotrace::log_performance;

#[log_performance(span = "no")]
fn fetch(limit: u32) -> u32 {
    limit
}

fn main() {
    let _ = fetch(1);
}
