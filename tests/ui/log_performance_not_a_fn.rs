use memotrace::log_performance;

#[log_performance(level = "info")]
struct Service {
    name: String,
}

fn main() {
    let s = Service { name: String::new() };
    let _ = s.name;
}
