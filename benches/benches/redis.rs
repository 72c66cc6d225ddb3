//! Redis hit latency and 50-task hit throughput: memotrace's `RedisCache` / `TieredCache`
//! against raw `redis` GETs on the same connection and against the `cached` crate's
//! `AsyncRedisCache`, all on one local redis-server started here (persistence off).
//! `MEMOTRACE_BENCH_REDIS_URL` points it at an existing server instead.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use memotrace::__private::{CacheLookup, CacheStore, Lookup, Plain};
use memotrace::cache::redis::{RedisBackend, RedisCache, RedisConfig, TieredCache};
use memotrace::cache::{CacheConfig, MemoryCache};
use serde::{Deserialize, Serialize};
use std::hint::black_box;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A ~120-byte JSON value, the size of a typical user record.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct User {
    id: u64,
    name: String,
    email: String,
    created_at: String,
}

fn user() -> User {
    User {
        id: 123,
        name: "John Doe".into(),
        email: "john@example.com".into(),
        created_at: "2024-01-15T10:30:00Z".into(),
    }
}

struct Server(std::sync::Mutex<Option<Child>>, String);

impl Server {
    fn stop(&self) {
        if let Some(mut c) = self.0.lock().unwrap().take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn server() -> Server {
    if let Ok(url) = std::env::var("MEMOTRACE_BENCH_REDIS_URL") {
        return Server(std::sync::Mutex::new(None), url);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server");
    let url = format!("redis://127.0.0.1:{port}");
    let client = redis::Client::open(url.as_str()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client
        .get_connection()
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
        .is_err()
    {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    Server(std::sync::Mutex::new(Some(child)), url)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

struct Setup {
    _server: Server,
    rt: tokio::runtime::Runtime,
    cache: &'static RedisCache<User>,
    tiered: &'static TieredCache<User>,
    memory: &'static MemoryCache<String, User>,
    backend: RedisBackend,
    own: redis::aio::MultiplexedConnection,
    cached: cached::AsyncRedisCache<String, User>,
    key: String,
}

fn setup() -> Setup {
    let server = server();
    let rt = runtime();
    let backend = RedisBackend::connect(RedisConfig::url(&server.1)).unwrap();
    let config = || CacheConfig::new("bench::user").ttl(Duration::from_secs(3600));
    let cache: &'static RedisCache<User> =
        RedisCache::with_backend(config(), backend.clone()).register();
    let tiered: &'static TieredCache<User> = TieredCache::with_backend(
        CacheConfig::new("bench::tiered").ttl(Duration::from_secs(3600)),
        backend.clone(),
    )
    .register();
    let memory: &'static MemoryCache<String, User> = MemoryCache::new(config()).register();
    let url = server.1.clone();
    let (own, cached) = rt.block_on(async {
        for (c, k) in [(cache, "123")] {
            match c.lookup_async(k).await {
                Lookup::Load(l) => {
                    drop(c.complete_async(l, Plain, user(), |_| false, vec![]).await)
                }
                _ => unreachable!("fresh server"),
            }
        }
        match tiered.lookup_async("123").await {
            Lookup::Load(l) => drop(
                tiered
                    .complete_async(l, Plain, user(), |_| false, vec![])
                    .await,
            ),
            _ => unreachable!("fresh server"),
        }
        if let Lookup::Load(l) = memory.lookup_async("123").await {
            memory.complete(l, Plain, user(), |_| false, vec![]);
        }
        let own = redis::Client::open(url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let cached = cached::AsyncRedisCache::<String, User>::builder("bench-cached")
            .ttl(Duration::from_secs(3600))
            .connection_string(&url)
            .build()
            .await
            .expect("cached's AsyncRedisCache");
        cached::ConcurrentCachedAsync::async_cache_set(&cached, "123".to_string(), user())
            .await
            .unwrap();
        let mut plain = own.clone();
        let _: () = redis::cmd("SET")
            .arg("bench:plain")
            .arg(serde_json::to_vec(&user()).unwrap())
            .query_async(&mut plain)
            .await
            .unwrap();
        (own, cached)
    });
    let key = cache.redis_key("123");
    Setup {
        _server: server,
        rt,
        cache,
        tiered,
        memory,
        backend,
        own,
        cached,
        key,
    }
}

async fn raw_get(conn: &mut impl redis::aio::ConnectionLike, key: &str) -> Option<Vec<u8>> {
    redis::cmd("GET").arg(key).query_async(conn).await.unwrap()
}

fn hit_latency(c: &mut Criterion, s: &Setup) {
    let mut g = c.benchmark_group("redis_hit");
    g.bench_function("memotrace RedisCache hit (GET + decode)", |b| {
        b.to_async(&s.rt).iter(|| async {
            match s.cache.lookup_async(black_box("123")).await {
                Lookup::Hit(u) => black_box(u),
                _ => unreachable!(),
            }
        })
    });
    g.bench_function("raw GET, same connection", |b| {
        b.to_async(&s.rt).iter(|| async {
            let mut conn = s.backend.conn().await.unwrap();
            black_box(raw_get(&mut conn, &s.key).await)
        })
    });
    g.bench_function("raw GET + serde_json decode, same connection", |b| {
        b.to_async(&s.rt).iter(|| async {
            let mut conn = s.backend.conn().await.unwrap();
            let bytes = raw_get(&mut conn, "bench:plain").await.unwrap();
            black_box(serde_json::from_slice::<User>(&bytes).unwrap())
        })
    });
    g.bench_function(
        "raw GET, own multiplexed connection on the bench runtime",
        |b| {
            b.to_async(&s.rt).iter(|| async {
                let mut conn = s.own.clone();
                black_box(raw_get(&mut conn, &s.key).await)
            })
        },
    );
    g.bench_function("cached AsyncRedisCache hit", |b| {
        b.to_async(&s.rt).iter(|| async {
            black_box(
                cached::ConcurrentCachedAsync::async_cache_get(&s.cached, &"123".to_string())
                    .await
                    .unwrap()
                    .unwrap(),
            )
        })
    });
    g.bench_function("memotrace TieredCache L1 hit", |b| {
        b.to_async(&s.rt).iter(|| async {
            match s.tiered.lookup_async(black_box("123")).await {
                Lookup::Hit(u) => black_box(u),
                _ => unreachable!(),
            }
        })
    });
    g.bench_function("memotrace MemoryCache hit", |b| {
        b.to_async(&s.rt).iter(|| async {
            match s.memory.lookup_async(black_box("123")).await {
                Lookup::Hit(u) => black_box(u),
                _ => unreachable!(),
            }
        })
    });
    g.finish();
}

const TASKS: usize = 50;
const PER_TASK: usize = 200;

fn throughput(c: &mut Criterion, s: &'static Setup) {
    let mut g = c.benchmark_group("redis_hit_50_tasks");
    g.throughput(Throughput::Elements((TASKS * PER_TASK) as u64));
    g.sample_size(20);
    let run = |name: &str,
               f: fn(&'static Setup) -> futures_util::future::BoxFuture<'static, ()>,
               g: &mut criterion::BenchmarkGroup<'_, _>| {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.to_async(&s.rt).iter(|| async move {
                let tasks: Vec<_> = (0..TASKS).map(|_| tokio::spawn(f(s))).collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        });
    };
    run(
        "memotrace RedisCache",
        |s| {
            Box::pin(async move {
                for _ in 0..PER_TASK {
                    match s.cache.lookup_async("123").await {
                        Lookup::Hit(u) => drop(black_box(u)),
                        _ => unreachable!(),
                    }
                }
            })
        },
        &mut g,
    );
    run(
        "raw GET, one shared connection (same as memotrace's)",
        |s| {
            Box::pin(async move {
                let mut conn = s.backend.conn().await.unwrap();
                for _ in 0..PER_TASK {
                    black_box(raw_get(&mut conn, &s.key).await);
                }
            })
        },
        &mut g,
    );
    run(
        "raw GET + serde_json decode, one shared connection (same as memotrace's)",
        |s| {
            Box::pin(async move {
                let mut conn = s.backend.conn().await.unwrap();
                for _ in 0..PER_TASK {
                    let bytes = raw_get(&mut conn, "bench:plain").await.unwrap();
                    black_box(serde_json::from_slice::<User>(&bytes).unwrap());
                }
            })
        },
        &mut g,
    );
    run(
        "raw GET, one shared multiplexed connection on the bench runtime",
        |s| {
            Box::pin(async move {
                let mut conn = s.own.clone();
                for _ in 0..PER_TASK {
                    black_box(raw_get(&mut conn, &s.key).await);
                }
            })
        },
        &mut g,
    );
    run(
        "cached AsyncRedisCache",
        |s| {
            Box::pin(async move {
                for _ in 0..PER_TASK {
                    black_box(
                        cached::ConcurrentCachedAsync::async_cache_get(
                            &s.cached,
                            &"123".to_string(),
                        )
                        .await
                        .unwrap(),
                    );
                }
            })
        },
        &mut g,
    );
    g.finish();
}

/// CPU time (ns) of every thread of this process so far, from `/proc/self/task/*/schedstat`
/// (Linux); 0 elsewhere. Unlike wall time it does not count waiting for the CPU, so it
/// stays comparable when other processes load the machine.
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// One hit of case `which` in the paired rounds: 0 memotrace, 1 raw GET on memotrace's
/// connection, 2 raw GET on the bench's own connection, 3 the `cached` crate.
async fn hit_once(
    s: &Setup,
    which: u8,
    conn: &mut memotrace::cache::redis::Conn,
    own: &mut redis::aio::MultiplexedConnection,
) {
    match which {
        0 => drop(black_box(match s.cache.lookup_async("123").await {
            Lookup::Hit(u) => u,
            _ => unreachable!(),
        })),
        1 => drop(black_box(raw_get(conn, &s.key).await)),
        2 => drop(black_box(raw_get(own, &s.key).await)),
        _ => drop(black_box(
            cached::ConcurrentCachedAsync::async_cache_get(&s.cached, &"123".to_string())
                .await
                .unwrap(),
        )),
    }
}

/// Paired, interleaved rounds (A B A B ...) on one machine at one time: the ratio of
/// medians is robust to load from other processes, which a sequential criterion run of
/// A then B is not on a shared 2-core box.
fn paired(s: &'static Setup) {
    const ROUNDS: usize = 15;
    const SEQ: usize = 2_000;
    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    }
    let seq = |which: u8| {
        s.rt.block_on(async move {
            let mut conn = s.backend.conn().await.unwrap();
            let mut own = s.own.clone();
            let t = Instant::now();
            let cpu = process_cpu_ns();
            for _ in 0..SEQ {
                hit_once(s, which, &mut conn, &mut own).await;
            }
            let wall = t.elapsed().as_secs_f64() * 1e6 / SEQ as f64;
            (wall, (process_cpu_ns() - cpu) as f64 / 1e3 / SEQ as f64)
        })
    };
    let par = |which: u8| {
        s.rt.block_on(async move {
            let t = Instant::now();
            let cpu = process_cpu_ns();
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    tokio::spawn(async move {
                        let mut conn = s.backend.conn().await.unwrap();
                        let mut own = s.own.clone();
                        for _ in 0..PER_TASK {
                            hit_once(s, which, &mut conn, &mut own).await;
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            let n = (TASKS * PER_TASK) as f64;
            (
                n / t.elapsed().as_secs_f64(),
                (process_cpu_ns() - cpu) as f64 / 1e3 / n,
            )
        })
    };
    let names = [
        "memotrace RedisCache hit",
        "raw GET (same conn)",
        "raw GET (own multiplexed conn)",
        "cached AsyncRedisCache",
    ];
    let (mut lat, mut lat_cpu, mut thr, mut thr_cpu) = (
        vec![Vec::new(); 4],
        vec![Vec::new(); 4],
        vec![Vec::new(); 4],
        vec![Vec::new(); 4],
    );
    for _ in 0..ROUNDS {
        for w in 0..4u8 {
            let (wall, cpu) = seq(w);
            lat[w as usize].push(wall);
            lat_cpu[w as usize].push(cpu);
            let (ops, cpu) = par(w);
            thr[w as usize].push(ops);
            thr_cpu[w as usize].push(cpu);
        }
    }
    let lat: Vec<f64> = lat.into_iter().map(median).collect();
    let lat_cpu: Vec<f64> = lat_cpu.into_iter().map(median).collect();
    let thr: Vec<f64> = thr.into_iter().map(median).collect();
    let thr_cpu: Vec<f64> = thr_cpu.into_iter().map(median).collect();
    println!("paired medians over {ROUNDS} interleaved rounds (multi-thread runtime, 2 workers):");
    for i in 0..4 {
        println!(
            "  {:<32} latency {:>7.1} µs ({:.2}× raw same conn)   50-task throughput {:>7.0}k/s ({:.2}× raw same conn, {:.2}× raw own conn)",
            names[i],
            lat[i],
            lat[i] / lat[1],
            thr[i] / 1e3,
            thr[i] / thr[1],
            thr[i] / thr[2],
        );
    }
    println!("client CPU per hit (all threads of this process; the server's CPU not counted):");
    for i in 0..4 {
        println!(
            "  {:<32} sequential {:>5.2} µs ({:.2}× raw same conn)   50 tasks {:>5.2} µs ({:.2}× raw same conn)",
            names[i],
            lat_cpu[i],
            lat_cpu[i] / lat_cpu[1],
            thr_cpu[i],
            thr_cpu[i] / thr_cpu[1],
        );
    }
}

fn benches(c: &mut Criterion) {
    let s: &'static Setup = Box::leak(Box::new(setup()));
    if std::env::var_os("MEMOTRACE_BENCH_SKIP_PAIRED").is_none() {
        paired(s);
    }
    hit_latency(c, s);
    throughput(c, s);
    s._server.stop();
}

criterion_group!(redis_benches, benches);
criterion_main!(redis_benches);
