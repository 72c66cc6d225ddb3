// An item `#[instrument_db]` cannot instrument is an error, never an uninstrumented fn.
#[memotrace::instrument_db(statement = "SELECT 1")]
extern "C" fn f(x: u32) -> u32 {
    x
}

fn main() {}
