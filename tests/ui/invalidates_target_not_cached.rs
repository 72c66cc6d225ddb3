// A target must be a `#[cached]` fn: a plain fn has no `_invalidate` companion.

fn get_user(id: u64) -> String {
    format!("user {id}")
}

#[memotrace::invalidates(get_user(id))]
fn rename_user(id: u64) {}

fn main() {
    rename_user(1);
    get_user(1);
}
