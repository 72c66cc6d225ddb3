// The arguments must fit the reader's key: a wrong count or type is an error on them.

#[memotrace::cached]
fn get_user(id: u64) -> String {
    format!("user {id}")
}

#[memotrace::invalidates(get_user(id, name))]
fn rename_user(id: u64, name: &str) {}

#[memotrace::invalidates(get_user(name))]
fn rename_again(name: &str) {}

fn main() {
    rename_user(1, "a");
    rename_again("a");
}
