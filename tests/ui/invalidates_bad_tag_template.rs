// Tag templates are checked against the writer's arguments.

#[memotrace::invalidates(tags = ["user:{user_id}"])]
fn rename_user(id: u64) {}

#[memotrace::invalidates(tags = ["user:{id"])]
fn delete_user(id: u64) {}

#[memotrace::invalidates(tags = "user:{id}")]
fn block_user(id: u64) {}

fn main() {
    rename_user(1);
    delete_user(1);
    block_user(1);
}
