// One mistake in the arguments is one error: the fn and its companions still exist
// with their signatures, so the call sites below add none.
#[memotrace::cached(ttl = "10x", key = "user:{id}")]
fn get_user(id: u64) -> Result<String, std::io::Error> {
    Ok(format!("user {id}"))
}

fn main() {
    let _ = get_user(1);
    let _ = get_user_uncached(1);
    let _: bool = get_user_invalidate(1);
    get_user_put(1, String::from("x"));
    let _ = get_user_cache().stats().hits;
}
