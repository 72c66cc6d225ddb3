use memotrace::instrument_db;

#[instrument_db(system = "sqlite", statement = id)]
fn find(id: i64) -> Result<i64, String> {
    Ok(id)
}

#[instrument_db(system = "sqlite", statement = 42)]
fn answer() -> Result<i64, String> {
    Ok(42)
}

fn main() {
    let _ = (find(1), answer());
}
