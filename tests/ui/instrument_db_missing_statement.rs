use memotrace::instrument_db;

#[instrument_db(system = "sqlite", table = "users")]
fn count() -> Result<i64, String> {
    Ok(0)
}

fn main() {
    let _ = count();
}
