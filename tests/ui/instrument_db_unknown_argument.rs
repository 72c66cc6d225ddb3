use memotrace::instrument_db;

#[instrument_db(system = "sqlite", statment = "SELECT 1")]
fn one() -> Result<i64, String> {
    Ok(1)
}

#[instrument_db(system = "sqlite", statement = "SELECT 1", timeout = "1s")]
fn two() -> Result<i64, String> {
    Ok(2)
}

fn main() {
    let _ = (one(), two());
}
