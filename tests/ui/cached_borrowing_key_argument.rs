#[memotrace::cached]
fn lookup(name: Option<&str>, page: u32) -> String { format!("{name:?}{page}") }

fn main() {}
