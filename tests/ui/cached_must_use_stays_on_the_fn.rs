#![deny(unused_must_use)]

#[memotrace::cached]
#[must_use]
fn important(x: u32) -> u32 { x }

fn main() {
    important(1);
}
