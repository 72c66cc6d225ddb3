#[memotrace::cached]
struct User;

fn main() {}
