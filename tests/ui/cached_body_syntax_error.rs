// A syntax error inside the body is rustc's error, where it is.
#[memotrace::cached]
fn f(x: u32) -> u32 {
    let y = x +;
    y
}

fn main() {}
