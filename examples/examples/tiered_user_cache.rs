//! The user cache service on the tiered store: memory L1 in front of Redis L2,
//! SQLite behind both — cache-aside reads, write-through on create, invalidation by tag
//! on update (other processes drop their L1 copy through Redis pub/sub).
//!
//! ```sh
//! redis-server --port 6379 --save "" --appendonly no &
//! MEMOTRACE_REDIS_URL=redis://127.0.0.1:6379 \
//!     cargo run -p memotrace-examples --features redis --example tiered_user_cache
//! ```

use memotrace::cache::redis::{set_default_backend, RedisBackend, RedisConfig};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct User {
    id: i64,
    name: String,
    email: String,
}

#[derive(Clone)]
struct UserCacheService {
    db: Arc<Mutex<Connection>>,
}

impl UserCacheService {
    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Cache-aside: L1, then Redis (`users:v2:get_user:user:{id}`), then the database —
    /// once across every process, under the distributed lock. `None` is not cached.
    #[memotrace::cached(store = tiered, key = "user:{id}", ttl = "1h", namespace = "users", tags = ["user:{id}"], name = "get_user")]
    async fn get_user(&self, id: i64) -> Option<User> {
        println!("  (database read of user {id})");
        self.conn()
            .query_row(
                "SELECT id, name, email FROM users WHERE id = ?1",
                [id],
                |r| {
                    Ok(User {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        email: r.get(2)?,
                    })
                },
            )
            .optional()
            .ok()
            .flatten()
    }

    /// Write-through: the new user goes to both tiers as it is created.
    async fn create_user(&self, name: &str, email: &str) -> rusqlite::Result<User> {
        let user = {
            let conn = self.conn();
            conn.execute(
                "INSERT INTO users (name, email) VALUES (?1, ?2)",
                params![name, email],
            )?;
            User {
                id: conn.last_insert_rowid(),
                name: name.to_owned(),
                email: email.to_owned(),
            }
        };
        Self::get_user_put(user.id, user.clone()).await;
        Ok(user)
    }

    /// Update, then drop every cache entry tagged with the user, in every process.
    async fn update_user(&self, id: i64, name: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE users SET name = ?2 WHERE id = ?1",
            params![id, name],
        )?;
        memotrace::cache::invalidate_tag(&format!("user:{id}")).await;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _log = memotrace::log::init()?;
    let config =
        RedisConfig::from_env().unwrap_or_else(|| RedisConfig::url("redis://127.0.0.1:6379"));
    set_default_backend(RedisBackend::connect(config)?);

    let conn = Connection::open_in_memory()?;
    conn.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE);")?;
    let service = UserCacheService {
        db: Arc::new(Mutex::new(conn)),
    };
    UserCacheService::get_user_cache().clear().await;

    let john = service.create_user("John", "john@example.com").await?;
    println!("get_user twice (answered by the write-through):");
    println!("  {:?}", service.get_user(john.id).await);
    println!("  {:?}", service.get_user(john.id).await);

    service.update_user(john.id, "John Smith").await?;
    println!("after update (tag invalidated, one database read):");
    println!("  {:?}", service.get_user(john.id).await);
    println!(
        "missing user (not cached): {:?}",
        service.get_user(999).await
    );

    let cache = UserCacheService::get_user_cache();
    println!(
        "redis key of user {}: {}",
        john.id,
        cache.l2().redis_key(&format!("user:{}", john.id))
    );
    println!("stats: {:?}", cache.stats());
    Ok(())
}
