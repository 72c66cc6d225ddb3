struct Connection;

#[memotrace::cached(key = "user:{id}", ttl = "1m", refresh_ahead = 0.8)]
fn user_name(conn: &Connection, id: u64) -> String {
    let _ = conn;
    format!("user {id}")
}

fn main() {}
