//! The seed's `UserCacheService` (cache-aside with invalidation) on the tiered store:
//! memory L1 in front of Redis L2, written against the runtime API that
//! `#[cached(store = tiered)]` expands to.
//!
//! ```sh
//! redis-server --port 6379 --save "" --appendonly no &
//! MEMOTRACE_REDIS_URL=redis://127.0.0.1:6379 \
//!     cargo run -p memotrace-examples --features redis --example tiered_user_cache
//! ```

use memotrace::cache::redis::{RedisBackend, RedisConfig, TieredCache, TieredLookup};
use memotrace::cache::{CacheConfig, SomeOnly};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct User {
    id: u64,
    name: String,
    email: String,
}

/// Stands in for the database session of the seed.
#[derive(Default)]
struct Db {
    users: Mutex<HashMap<u64, User>>,
    queries: Mutex<u64>,
}

impl Db {
    async fn get(&self, id: u64) -> Option<User> {
        *self.queries.lock().unwrap() += 1;
        self.users.lock().unwrap().get(&id).cloned()
    }
}

struct UserCacheService {
    db: Db,
    users: &'static TieredCache<User>,
}

impl UserCacheService {
    fn new(backend: RedisBackend) -> Self {
        let config = CacheConfig::new("user_cache_service::get_user")
            .namespace("users")
            .version(1)
            .ttl(Duration::from_secs(3600))
            .tagged();
        Self {
            db: Db::default(),
            users: TieredCache::with_backend(config, backend).register(),
        }
    }

    /// Cache-aside: L1, then Redis, then the database (once across processes); `None` is
    /// not cached.
    async fn get_user(&self, id: u64) -> Option<User> {
        let key = id.to_string();
        match self.users.lookup_async(&key).await {
            TieredLookup::Hit(user) | TieredLookup::Refresh(user, _) => Some(user),
            TieredLookup::Load(load) => {
                let tags = vec![format!("user:{id}")];
                load.complete(SomeOnly, self.db.get(id).await, |_| false, tags)
                    .await
            }
        }
    }

    async fn create_user(&self, user: User) {
        self.db.users.lock().unwrap().insert(user.id, user.clone());
        // Write-through: both tiers, and other processes drop their L1 copy.
        self.users
            .insert(
                &user.id.to_string(),
                user.clone(),
                vec![format!("user:{}", user.id)],
            )
            .await;
    }

    async fn update_user(&self, id: u64, name: &str) {
        if let Some(user) = self.db.users.lock().unwrap().get_mut(&id) {
            user.name = name.to_owned();
        }
        self.invalidate_user(id).await;
    }

    /// Everything tagged `user:{id}`, in every cache and every process.
    async fn invalidate_user(&self, id: u64) {
        memotrace::cache::invalidate_tag(&format!("user:{id}")).await;
    }
}

#[tokio::main]
async fn main() {
    let config =
        RedisConfig::from_env().unwrap_or_else(|| RedisConfig::url("redis://127.0.0.1:6379"));
    let service = UserCacheService::new(RedisBackend::connect(config).expect("a valid Redis URL"));
    service.users.clear().await;

    service
        .create_user(User {
            id: 123,
            name: "John".into(),
            email: "john@example.com".into(),
        })
        .await;
    let first = service.get_user(123).await;
    let second = service.get_user(123).await;
    assert_eq!(first, second);
    println!(
        "get_user(123) twice: {first:?}; database queries: {}",
        service.db.queries.lock().unwrap()
    );

    service.update_user(123, "John Smith").await;
    println!("after update: {:?}", service.get_user(123).await);
    println!("missing user: {:?}", service.get_user(999).await);
    println!("stats: {:?}", service.users.stats());
    println!(
        "redis key of user 123: {}",
        service.users.l2().redis_key("123")
    );
}
