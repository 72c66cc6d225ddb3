#[memotrace::cached(key = "user:{a}-{b}")]
fn dash(a: String, b: String) -> String { a + &b }

#[memotrace::cached(tags = ["pair:{a}{b}"])]
fn adjacent(a: String, b: String) -> String { a + &b }

fn main() {}
