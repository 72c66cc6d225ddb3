//! A complete user cache service on SQLite and the memory store: cache-aside
//! reads, write-through on create, invalidation on update (by key and by tag), and
//! write-behind for `last_seen` touches.
//!
//! Run it with `cargo run -p memotrace-examples --example user_cache_service`.

use memotrace::cache::{WriteBehind, WriteBehindConfig};
use rusqlite::{params, Connection, OptionalExtension};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
struct User {
    id: i64,
    name: String,
    email: String,
}

#[derive(Debug)]
enum UserError {
    NotFound(i64),
    Db(rusqlite::Error),
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound(id) => write!(f, "user {id} not found"),
            Self::Db(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for UserError {}

impl From<rusqlite::Error> for UserError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Db(e)
    }
}

type Db = Arc<Mutex<Connection>>;

#[derive(Clone)]
struct UserCacheService {
    db: Db,
    touches: Arc<WriteBehind<(i64, i64)>>,
}

impl UserCacheService {
    fn new(db: Db) -> Self {
        let sink = db.clone();
        // Write-behind: `last_seen` touches are acknowledged at once and written in batches.
        let touches = WriteBehind::start(
            WriteBehindConfig {
                batch_size: 50,
                flush_interval: Duration::from_millis(200),
                ..Default::default()
            },
            move |batch: Vec<(i64, i64)>| {
                let db = sink.clone();
                async move {
                    let mut conn = db.lock().unwrap_or_else(PoisonError::into_inner);
                    let tx = conn.transaction()?;
                    for (id, seen) in &batch {
                        tx.execute(
                            "UPDATE users SET last_seen = ?2 WHERE id = ?1",
                            params![id, seen],
                        )?;
                    }
                    tx.commit()
                }
            },
        );
        Self {
            db,
            touches: Arc::new(touches),
        }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Cache-aside: `user:{id}` for an hour, tagged so every cache of this user can be
    /// dropped at once; a missing user is an `Err` and is not cached.
    #[memotrace::cached(key = "user:{id}", ttl = "1h", tags = ["user:{id}"], name = "users.get_user")]
    async fn get_user(&self, id: i64) -> Result<User, UserError> {
        println!("  (database read of user {id})");
        let row = self
            .conn()
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
            .optional()?;
        row.ok_or(UserError::NotFound(id))
    }

    /// Another cache of the same user, invalidated through the shared tag.
    #[memotrace::cached(key = "user:{id}:posts", ttl = "10m", tags = ["user:{id}"], name = "users.post_count")]
    async fn post_count(&self, id: i64) -> Result<i64, UserError> {
        println!("  (database count of user {id}'s posts)");
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM posts WHERE user_id = ?1", [id], |r| {
                r.get(0)
            })?)
    }

    /// Write-through: the new user is cached as it is created.
    fn create_user(&self, name: &str, email: &str) -> Result<User, UserError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO users (name, email) VALUES (?1, ?2)",
            params![name, email],
        )?;
        let user = User {
            id: conn.last_insert_rowid(),
            name: name.to_owned(),
            email: email.to_owned(),
        };
        drop(conn);
        Self::get_user_put(user.id, user.clone());
        Ok(user)
    }

    /// Update, then invalidate every cache of the user (`invalidate_user`).
    async fn rename_user(&self, id: i64, name: &str) -> Result<(), UserError> {
        let changed = self.conn().execute(
            "UPDATE users SET name = ?2 WHERE id = ?1",
            params![id, name],
        )?;
        if changed == 0 {
            return Err(UserError::NotFound(id));
        }
        memotrace::cache::invalidate_tag(&format!("user:{id}")).await;
        Ok(())
    }

    async fn touch(&self, id: i64, at: i64) {
        if let Err(rejected) = self.touches.push((id, at)).await {
            eprintln!("last_seen touch not queued: {rejected:?}");
        }
    }
}

fn open_db() -> rusqlite::Result<Db> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, last_seen INTEGER);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title TEXT NOT NULL);",
    )?;
    Ok(Arc::new(Mutex::new(conn)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = open_db()?;
    let service = UserCacheService::new(db.clone());

    println!("create (write-through):");
    let ada = service.create_user("Ada", "ada@example.com")?;
    db.lock().unwrap().execute(
        "INSERT INTO posts (user_id, title) VALUES (?1, 'hello'), (?1, 'again')",
        [ada.id],
    )?;

    println!("get_user twice (the first answer comes from the write-through):");
    println!("  {:?}", service.get_user(ada.id).await?);
    println!("  {:?}", service.get_user(ada.id).await?);
    println!("post_count twice:");
    println!("  {}", service.post_count(ada.id).await?);
    println!("  {}", service.post_count(ada.id).await?);

    println!("rename, which invalidates tag user:{}:", ada.id);
    service.rename_user(ada.id, "Ada Lovelace").await?;
    println!("  {:?}", service.get_user(ada.id).await?);
    println!("  {}", service.post_count(ada.id).await?);

    println!("missing users are errors, not cached:");
    for _ in 0..2 {
        println!("  {}", service.get_user(99).await.unwrap_err());
    }

    println!("write-behind touches:");
    for at in 1..=3 {
        service.touch(ada.id, at).await;
    }
    service.touches.flush().await;
    let seen: i64 = db.lock().unwrap().query_row(
        "SELECT last_seen FROM users WHERE id = ?1",
        [ada.id],
        |r| r.get(0),
    )?;
    println!("  last_seen in the database: {seen}");

    for cache in memotrace::cache::registry() {
        let s = cache.stats;
        println!(
            "cache {:<20} hits={} misses={} loads={} entries={}",
            cache.name, s.hits, s.misses, s.loads, s.entries
        );
    }
    Ok(())
}
