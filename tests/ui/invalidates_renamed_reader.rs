// The reader was renamed from `get_user` to `fetch_user`; the writer still names the
// old fn, so it would silently stop invalidating: it is a compile error instead.

#[memotrace::cached]
fn fetch_user(id: u64) -> String {
    format!("user {id}")
}

#[memotrace::invalidates(get_user(id))]
fn rename_user(id: u64) {}

fn main() {
    rename_user(1);
    fetch_user(1);
}
