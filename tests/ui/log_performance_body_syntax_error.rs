// A syntax error inside the body is rustc's error, where it is.
#[memotrace::log_performance]
fn f(x: u32) -> u32 {
    let y = x +;
    y
}

fn main() {}
