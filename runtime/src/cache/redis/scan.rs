//! Pattern invalidation: `SCAN MATCH` on every primary (a cluster client's plain SCAN
//! would reach one random node and miss two thirds of the keys), deleting what it finds
//! in batches with `UNLINK`. Never `KEYS`.

use super::connection::RedisBackend;
use super::fail_open::StoreResult;

const BATCH: usize = 500;

/// Every key matching the glob `pattern`, on every primary.
pub(crate) async fn scan_keys(backend: &RedisBackend, pattern: &str) -> StoreResult<Vec<String>> {
    let primaries = backend.primaries().await?;
    let nodes: Vec<Option<&(String, u16)>> = if primaries.is_empty() {
        vec![None]
    } else {
        primaries.iter().map(Some).collect()
    };
    let mut found = Vec::new();
    for node in nodes {
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = backend
                .query_node(
                    node,
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(pattern)
                        .arg("COUNT")
                        .arg(BATCH),
                )
                .await?;
            found.extend(keys);
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    found.sort_unstable();
    found.dedup();
    Ok(found)
}

/// Deletes `keys` (one `UNLINK` per key on a cluster, where they span slots; batches on a
/// standalone server); resolves to how many existed.
pub(crate) async fn unlink(backend: &RedisBackend, keys: &[String]) -> StoreResult<u64> {
    if keys.is_empty() {
        return Ok(0);
    }
    let mut deleted = 0;
    if backend.is_cluster() {
        let cmds: Vec<redis::Cmd> = keys
            .iter()
            .map(|k| {
                let mut cmd = redis::cmd("UNLINK");
                cmd.arg(k);
                cmd
            })
            .collect();
        let calls = cmds.iter().map(|cmd| backend.query::<u64>(cmd));
        for result in futures_util::future::join_all(calls).await {
            deleted += result?;
        }
    } else {
        for chunk in keys.chunks(BATCH) {
            deleted += backend
                .query::<u64>(redis::cmd("UNLINK").arg(chunk))
                .await?;
        }
    }
    Ok(deleted)
}

/// Deletes every key matching the glob `pattern` on every primary; resolves to how many
/// were deleted.
pub(crate) async fn delete_pattern(backend: &RedisBackend, pattern: &str) -> StoreResult<u64> {
    let keys = scan_keys(backend, pattern).await?;
    unlink(backend, &keys).await
}
