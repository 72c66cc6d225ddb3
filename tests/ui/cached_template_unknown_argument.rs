#[memotrace::cached(key = "user:{idx}", tags = ["team:{team_id}"])]
fn f(id: u32, team: u32) -> u32 { id + team }

fn main() {}
