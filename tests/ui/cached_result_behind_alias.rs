// A `Result` behind a type alias would cache `Err`: a compile error that says what to write.
#[derive(Clone, Debug)]
pub struct AppError;

type AppResult<T> = Result<T, AppError>;

#[memotrace::cached]
fn load(id: u32) -> AppResult<u32> {
    Ok(id)
}

fn main() {
    let _ = load(1);
}
