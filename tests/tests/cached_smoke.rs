use std::sync::atomic::{AtomicUsize, Ordering};

static CALLS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(ttl = "10m")]
fn double(x: u64) -> u64 {
    CALLS.fetch_add(1, Ordering::SeqCst);
    x * 2
}

#[memotrace::cached]
fn greet(name: &str) -> String {
    format!("hello {name}")
}

#[memotrace::cached(key = "{a}-{b}")]
fn join(a: &str, b: u32) -> Result<String, String> {
    Ok(format!("{a}{b}"))
}

struct Repo { tenant: u32 }

impl Repo {
    #[memotrace::cached(key = "{self.tenant}:{id}")]
    async fn find(&self, id: u64) -> Option<String> {
        Some(format!("{}:{id}", self.tenant))
    }
}

#[test]
fn smoke() {
    assert_eq!(double(2), 4);
    assert_eq!(double(2), 4);
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(greet("a"), "hello a");
    assert_eq!(join("a", 1).unwrap(), "a1");
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let repo = Repo { tenant: 3 };
    assert_eq!(rt.block_on(repo.find(4)).as_deref(), Some("3:4"));
    assert!(repo.find_invalidate(4));
}
