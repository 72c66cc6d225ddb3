// `max_weight` and `weigher`: bad values, a weigher without a budget, a budget on Redis
// (which `maxmemory` bounds; `store = tiered` weighs its L1), and a value type without
// `Weigh`.

#[memotrace::cached(max_weight = "64 parsecs")]
fn a(id: u64) -> String { id.to_string() }

#[memotrace::cached(weigher = |_key, value| value.len())]
fn b(id: u64) -> String { id.to_string() }

#[memotrace::cached(max_weight = 1_000, weigher = |value| value.len())]
fn c(id: u64) -> String { id.to_string() }

#[memotrace::cached(store = redis, max_weight = "1MiB")]
async fn d(id: u64) -> String { id.to_string() }

struct Opaque;

#[derive(Clone)]
struct Report(Opaque);

impl Clone for Opaque { fn clone(&self) -> Self { Opaque } }

#[memotrace::cached(max_weight = "1MiB")]
fn e(id: u64) -> Report { let _ = id; Report(Opaque) }

fn main() {}
