// What is not a reader call or a known setting is an error on that token, all at once.

#[memotrace::cached]
fn get_user(id: u64) -> String {
    format!("user {id}")
}

#[memotrace::invalidates(get_user, tag = ["user:{id}"], get_user::<u8>(id), 42)]
fn rename_user(id: u64) {}

#[memotrace::invalidates()]
fn nothing(id: u64) {}

fn main() {
    rename_user(1);
    nothing(1);
}
