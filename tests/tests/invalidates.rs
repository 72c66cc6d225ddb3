//! `#[memotrace::invalidates]` on memory caches: a writer drops the named entries and
//! tags after it succeeds (`Ok`, `Some`, any plain value), not after it fails; sync and
//! async writers, methods, and bodies that consume their arguments.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

static USER_LOADS: AtomicUsize = AtomicUsize::new(0);
static POSTS_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
fn get_user(id: u64) -> String {
    USER_LOADS.fetch_add(1, SeqCst);
    format!("user {id}")
}

#[memotrace::cached(key = "posts:{user}", tags = ["user:{user}"])]
async fn user_posts(user: u64) -> Vec<String> {
    POSTS_LOADS.fetch_add(1, SeqCst);
    vec![format!("post by {user}")]
}

#[memotrace::invalidates(get_user(id))]
fn rename(id: u64, fail: bool) -> Result<(), String> {
    if fail {
        return Err("refused".into());
    }
    Ok(())
}

#[test]
fn a_sync_writer_drops_the_entry_after_ok_only() {
    get_user(1);
    get_user(2);
    assert_eq!(rename(1, true), Err("refused".into()));
    get_user(1);
    assert_eq!(USER_LOADS.load(SeqCst), 2, "Err keeps the entry");
    rename(1, false).unwrap();
    get_user(1);
    get_user(2);
    assert_eq!(USER_LOADS.load(SeqCst), 3, "Ok drops get_user(1) only");
}

static PROFILE_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(key = "profile:{id}")]
async fn profile(id: u64) -> String {
    PROFILE_LOADS.fetch_add(1, SeqCst);
    format!("profile {id}")
}

/// Drops `profile(id)` and every entry tagged `user:{id}` when it returns `Some`.
#[memotrace::invalidates(profile(id), tags = ["user:{id}"])]
async fn delete_user(id: u64, found: bool) -> Option<u64> {
    tokio::task::yield_now().await;
    found.then_some(id)
}

#[tokio::test]
async fn an_async_writer_drops_entries_and_tags_after_some_only() {
    profile(5).await;
    user_posts(5).await;
    user_posts(6).await;
    assert_eq!(delete_user(5, false).await, None);
    profile(5).await;
    user_posts(5).await;
    assert_eq!(
        (PROFILE_LOADS.load(SeqCst), POSTS_LOADS.load(SeqCst)),
        (1, 2),
        "None keeps the entries"
    );
    assert_eq!(delete_user(5, true).await, Some(5));
    profile(5).await;
    user_posts(5).await;
    user_posts(6).await;
    assert_eq!(
        (PROFILE_LOADS.load(SeqCst), POSTS_LOADS.load(SeqCst)),
        (2, 3),
        "Some drops profile(5) and the entries tagged user:5, not user:6's"
    );
}

#[derive(Clone, Debug)]
struct Account {
    id: u64,
    email: String,
}

static ACCOUNT_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached(key = "account:{email}")]
fn account_by_email(email: &str) -> u64 {
    ACCOUNT_LOADS.fetch_add(1, SeqCst);
    email.len() as u64
}

/// The body consumes `account`: the target's argument was read before it ran.
#[memotrace::invalidates(account_by_email(&account.email.clone()))]
fn save(account: Account) -> u64 {
    let Account { id, email } = account;
    drop(email);
    id
}

#[test]
fn target_arguments_are_read_before_the_body_consumes_them() {
    account_by_email("ada@example.com");
    let account = Account {
        id: 3,
        email: "ada@example.com".into(),
    };
    assert_eq!(save(account), 3);
    account_by_email("ada@example.com");
    assert_eq!(ACCOUNT_LOADS.load(SeqCst), 2, "the entry was dropped");
}

struct Repo {
    tenant: String,
    writes: u32,
}

static TEAM_LOADS: AtomicUsize = AtomicUsize::new(0);
static MEMBER_LOADS: AtomicUsize = AtomicUsize::new(0);

impl Repo {
    #[memotrace::cached(key = "team:{self.tenant}:{id}")]
    fn team(&self, id: u64) -> String {
        TEAM_LOADS.fetch_add(1, SeqCst);
        format!("{}/{id}", self.tenant)
    }

    #[memotrace::cached(key = "member:{id}")]
    async fn member(&self, id: u64) -> String {
        MEMBER_LOADS.fetch_add(1, SeqCst);
        format!("member {id}")
    }

    /// A `&mut self` writer: `self.team(..)` for the key that reads `self`,
    /// `Self::member(..)` for the one that does not.
    #[memotrace::invalidates(self.team(id), Self::member(id))]
    async fn rename_team(&mut self, id: u64) -> Result<(), String> {
        self.writes += 1;
        Ok(())
    }
}

#[tokio::test]
async fn a_method_writer_drops_its_readers_entries() {
    let mut repo = Repo {
        tenant: "acme".into(),
        writes: 0,
    };
    repo.team(1);
    repo.member(1).await;
    repo.rename_team(1).await.unwrap();
    assert_eq!(repo.writes, 1);
    repo.team(1);
    repo.member(1).await;
    assert_eq!(
        (TEAM_LOADS.load(SeqCst), MEMBER_LOADS.load(SeqCst)),
        (2, 2),
        "both entries were dropped"
    );
}

static PANICS_LOADS: AtomicUsize = AtomicUsize::new(0);

#[memotrace::cached]
fn settings(id: u64) -> u64 {
    PANICS_LOADS.fetch_add(1, SeqCst);
    id
}

#[memotrace::invalidates(settings(id))]
fn write_settings(id: u64) {
    assert!(id != 0, "no settings 0");
}

#[test]
fn a_plain_writer_always_invalidates_and_a_panicking_one_does_not() {
    settings(0);
    settings(4);
    assert!(std::panic::catch_unwind(|| write_settings(0)).is_err());
    settings(0);
    assert_eq!(PANICS_LOADS.load(SeqCst), 2, "a panic keeps the entry");
    write_settings(4);
    settings(4);
    assert_eq!(PANICS_LOADS.load(SeqCst), 3, "a unit writer drops it");
}
