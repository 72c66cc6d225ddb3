use memotrace::log_performance;

#[log_performance(skip(passwd))]
fn login(user: &str, password: &str) -> bool {
    user.len() < password.len()
}

fn main() {
    let _ = login("a", "b");
}
