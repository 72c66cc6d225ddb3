#[memotrace::cached(refresh_ahead = 0.8)]
fn f(x: u32) -> u32 { x }

fn main() {}
