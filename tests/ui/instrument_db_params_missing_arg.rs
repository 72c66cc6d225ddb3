use memotrace::instrument_db;

#[instrument_db(system = "sqlite", statement = "SELECT * FROM users WHERE id = ?1", params(idd, email))]
fn find(id: i64) -> Result<i64, String> {
    Ok(id)
}

#[instrument_db(system = "sqlite", statement = "SELECT 1", params = id)]
fn find2(id: i64) -> Result<i64, String> {
    Ok(id)
}

fn main() {
    let _ = (find(1), find2(2));
}
