// `#[tracing::instrument]` above `#[cached]` would trace only the loads: an error that
// says where to put it.
#[tracing::instrument]
#[memotrace::cached]
fn f(x: u32) -> u32 {
    x
}

fn main() {}
