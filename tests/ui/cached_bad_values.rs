#[memotrace::cached(max_capacity = 0, version = "two", store = disk, name = get_user, namespace = 3)]
fn f(x: u32) -> u32 { x }

fn main() {}
