use memotrace::instrument_db;

#[instrument_db(system = "sqlite", statement = "SELECT 1", slow = "fast")]
fn one() -> Result<i64, String> {
    Ok(1)
}

#[instrument_db(system = "sqlite", statement = "SELECT 1", slow = "250 ms", slow = "1s")]
fn two() -> Result<i64, String> {
    Ok(2)
}

#[instrument_db(system = "sqlite", statement = "SELECT 1", slow = 0.5)]
fn three() -> Result<i64, String> {
    Ok(3)
}

fn main() {
    let _ = (one(), two(), three());
}
