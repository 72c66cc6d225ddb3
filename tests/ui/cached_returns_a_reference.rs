// A borrow that can dangle is refused; `'static` ones are accepted.
#[memotrace::cached]
fn first_word(text: &String) -> &str { text.split(' ').next().unwrap_or("") }

fn main() {}
