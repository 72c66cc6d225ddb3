#[memotrace::invalidates(get_user(id))]
struct User {
    id: u64,
}

fn main() {}
