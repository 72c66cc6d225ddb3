use memotrace::log_performance;

// Every mistake is reported in one build, each on its own token, and the fn still exists.
#[log_performance(level = "loud", slow = 0, name = "a", name = "b", fields(duration_ms = 1, password), skip(password))]
fn login(user: &str, password: &str) -> bool {
    user.len() < password.len()
}

fn main() {
    let _ = login("a", "b");
}
