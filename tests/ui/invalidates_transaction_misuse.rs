// `transaction` must name a `&mut` argument of the writer; `double_delete` takes a
// duration; invalidations that run later cannot keep a receiver.

use memotrace::db::sqlx::Transaction;
use sqlx::Sqlite;

#[memotrace::cached]
fn get_user(id: u64) -> String {
    format!("user {id}")
}

#[memotrace::invalidates(get_user(id), transaction = txn)]
async fn unknown_argument(tx: &mut Transaction<'_, Sqlite>, id: u64) {}

#[memotrace::invalidates(get_user(id), transaction = tx)]
async fn owned_transaction(tx: Transaction<'static, Sqlite>, id: u64) {}

#[memotrace::invalidates(get_user(id), transaction = "tx", double_delete = "soon")]
async fn not_a_name(tx: &mut Transaction<'_, Sqlite>, id: u64) {}

struct Posts;

impl Posts {
    #[memotrace::cached(key = "post:{id}")]
    fn post(&self, id: u64) -> String {
        format!("post {id}")
    }

    #[memotrace::invalidates(self.post(id), double_delete = "500ms")]
    fn edit(&self, id: u64) {}
}

fn main() {}
