//! The Redis [`IdempotencyStore`] (feature `redis`): one store shared by every receiver process.
//!
//! - **claim**: `SET key token NX PX lease`: atomic, so of concurrent claims on any number of
//!   processes exactly one succeeds; otherwise the value says `done` or in flight.
//! - **complete**: a Lua script that sets the key to `done` for the key's window only if it still
//!   holds the claimer's token.
//! - **release**: a Lua script that deletes the key only if it still holds the claimer's token.
//!
//! Keys are `{prefix}s:{sha256}` (signed) and `{prefix}u:{sha256}` (unverified), 64 hex digits
//! whatever the id's length, and every key carries a TTL (the lease, then the window), so Redis
//! never keeps one forever. Bound Redis's memory with `maxmemory` and `maxmemory-policy
//! volatile-ttl` (evicts the keys closest to expiry first).
//!
//! Redis's clock is used for leases and windows; the receiver's clock is not.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::store::{
    Claim, ClaimToken, IdempotencyStore, Partition, StoreError, StoreFuture, StoreKey,
};

const DONE: &str = "done";

const COMPLETE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0
";

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
";

/// An [`IdempotencyStore`] on Redis, through `redis`'s reconnecting [`ConnectionManager`]. Cheap
/// to clone (clones share the connection).
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    complete: redis::Script,
    release: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError(e.to_string())
}

/// Seconds as the milliseconds `PX` takes: at least 1, at most about 100 years.
fn millis(seconds: u64) -> u64 {
    seconds
        .clamp(0, 100 * 365 * 86_400)
        .saturating_mul(1_000)
        .max(1)
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`), with commands timing out after 2 s and
    /// reconnection attempts after 1 s, so an unreachable Redis answers an error (and the
    /// receiver a 503) instead of hanging.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Duration::from_secs(2))
            .set_connection_timeout(Duration::from_secs(1))
            .set_number_of_retries(1)
            .set_max_delay(200);
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(unavailable)?;
        Ok(Self::with_connection(conn))
    }

    /// A store on an existing connection manager, with the key prefix `proptech:idem:`.
    pub fn with_connection(conn: ConnectionManager) -> Self {
        Self {
            conn,
            prefix: "proptech:idem:".to_owned(),
            complete: redis::Script::new(COMPLETE),
            release: redis::Script::new(RELEASE),
        }
    }

    /// Replaces the key prefix (to keep several applications apart on one Redis).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The Redis key of `key`.
    pub fn redis_key(&self, key: &StoreKey) -> String {
        let partition = match key.partition() {
            Partition::Signed => "s",
            Partition::Unverified => "u",
        };
        format!("{}{partition}:{}", self.prefix, key.hex())
    }

    /// The connection, for an application that also writes to Redis (a stream, a queue).
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

impl IdempotencyStore for RedisStore {
    fn claim<'a>(
        &'a self,
        key: &'a StoreKey,
        token: ClaimToken,
        lease: u64,
        _now: i64,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let redis_key = self.redis_key(key);
            // A key can expire between the SET and the GET; then claim again (twice at most).
            for _ in 0..3 {
                let set: Option<String> = redis::cmd("SET")
                    .arg(&redis_key)
                    .arg(token.to_text())
                    .arg("NX")
                    .arg("PX")
                    .arg(millis(lease))
                    .query_async(&mut conn)
                    .await
                    .map_err(unavailable)?;
                if set.is_some() {
                    return Ok(Claim::Claimed);
                }
                let value: Option<String> = redis::cmd("GET")
                    .arg(&redis_key)
                    .query_async(&mut conn)
                    .await
                    .map_err(unavailable)?;
                match value.as_deref() {
                    Some(DONE) => return Ok(Claim::Done),
                    Some(_) => return Ok(Claim::InFlight),
                    None => continue,
                }
            }
            Ok(Claim::InFlight)
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a StoreKey,
        token: ClaimToken,
        _now: i64,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let done: i64 = self
                .complete
                .key(self.redis_key(key))
                .arg(token.to_text())
                .arg(millis(key.window()))
                .invoke_async(&mut conn)
                .await
                .map_err(unavailable)?;
            Ok(done == 1)
        })
    }

    fn release<'a>(&'a self, key: &'a StoreKey, token: ClaimToken) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let released: i64 = self
                .release
                .key(self.redis_key(key))
                .arg(token.to_text())
                .invoke_async(&mut conn)
                .await
                .map_err(unavailable)?;
            Ok(released == 1)
        })
    }
}
