use memotrace::log_performance;

#[log_performance(slow = "250 millis")]
fn fetch(limit: u32) -> u32 {
    limit
}

fn main() {
    let _ = fetch(1);
}
