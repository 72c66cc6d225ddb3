#[memotrace::cached]
fn f(x: u32) -> &'static str { if x > 0 { "a" } else { "b" } }

fn main() {}
