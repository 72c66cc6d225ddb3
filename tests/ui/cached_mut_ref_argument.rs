#[memotrace::cached]
fn f(x: &mut Vec<u32>) -> usize { x.len() }

fn main() {}
