use memotrace::instrument_db;

#[instrument_db(system = "sqlite", statement = sqll)]
fn run(sql: &str) -> Result<usize, String> {
    Ok(sql.len())
}

fn main() {
    let _ = run("SELECT 1");
}
