// `transaction = tx` needs memotrace's transaction, which holds invalidations until it
// commits: sqlx's own has no commit hook.

#[memotrace::cached]
fn get_user(id: u64) -> String {
    format!("user {id}")
}

#[memotrace::invalidates(get_user(id), transaction = tx)]
async fn rename(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, id: u64) {}

fn main() {}
