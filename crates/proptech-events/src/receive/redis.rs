//! The Redis [`IdempotencyStore`] (feature `redis`): one store shared by every receiver process.
//!
//! A delivery's keys are claimed, completed and released together, each in one Lua script (one
//! round trip, atomic):
//!
//! - **claim**: if any key is done, the delivery is a duplicate; if any is in flight, it is in
//!   flight; otherwise every key is `SET` to the claimer's token with the lease as TTL.
//! - **complete**: if every key still holds the claimer's token, each is `RENAME`d to its done
//!   key and given its window as TTL (`PEXPIRE`).
//! - **release**: the keys still holding the claimer's token are deleted.
//!
//! Keys are `{prefix}s:{sha256}` (signed) and `{prefix}u:{sha256}` (unverified) while in flight,
//! with `:done` appended once done: 64 hex digits whatever the id's length, and every key carries
//! a TTL (the lease, then the window), so Redis never keeps one forever.
//!
//! # Durability: the settings a crash needs
//!
//! A receiver acknowledges a delivery once Redis answered; Redis answers before its write is on
//! disk unless it runs with `appendonly yes` and `appendfsync always`. [`RedisStore::connect`]
//! refuses any other setting unless the application accepts the loss by name
//! ([`Durability::AcceptLoss`]); see [`Durability`] for what each setting costs.
//!
//! # Memory: the settings the promise needs
//!
//! Redis must never evict these keys: an evicted claim or done key lets a delivery be processed
//! twice. So the Redis that holds them runs with **`maxmemory-policy noeviction`** (Redis's
//! default), and [`RedisStore::connect`] refuses any other policy, naming the setting and what it risks:
//! `volatile-ttl`, for one, evicts the keys closest to expiry first, which are the claims in
//! flight. Give the store a Redis (or a Redis instance) of its own when other data needs
//! eviction.
//!
//! When Redis reaches `maxmemory`, a claim's `SET` is refused with an `OOM` error, and the claim
//! answers [`Claim::Full`]: the receiver answers `503` with `Retry-After`, nothing is claimed,
//! and the provider's retry comes back later. A completion never needs new memory: `RENAME` and
//! `PEXPIRE` are not refused on a full Redis, so a handler that ran is always recorded as done.
//!
//! Unverified deliveries (EverReal) have their own budget: at most
//! [`RedisStore::with_unverified_budget`] live keys (43,690 by default, as the in-memory store's
//! 16 MiB), counted in a sorted set by expiry, and none while Redis uses more than
//! [`RedisStore::UNVERIFIED_MEMORY_SHARE`] percent of `maxmemory` (whatever else anonymous
//! deliveries fill, such as a stream of their bodies). Past either, an unverified claim answers
//! [`Claim::Full`] before it takes any memory, so anonymous traffic can neither evict nor crowd
//! out signed deliveries' keys: the other half of `maxmemory` is theirs.
//!
//! Redis's clock is used for leases and windows; the receiver's clock is not.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::store::{
    Claim, ClaimToken, IdempotencyStore, Partition, StoreError, StoreFuture, StoreKey,
};

/// `KEYS[1]` is the unverified index; then each key's claim key and done key.
/// `ARGV`: token, lease (ms), unverified budget (0: none), the unverified share of `maxmemory`
/// (percent).
const CLAIM: &str = r"
local n = (#KEYS - 1) / 2
for i = 1, n do
  if redis.call('EXISTS', KEYS[2 * i + 1]) == 1 then return {1, i - 1} end
  if redis.call('EXISTS', KEYS[2 * i]) == 1 then return {2, i - 1} end
end
local budget = tonumber(ARGV[3])
local now = 0
if budget > 0 then
  local info = redis.call('INFO', 'memory')
  local used = tonumber(string.match(info, 'used_memory:(%d+)'))
  local max = tonumber(string.match(info, 'maxmemory:(%d+)'))
  if max and used and max > 0 and used * 100 >= max * tonumber(ARGV[4]) then return {3, 0} end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf') + n > budget then return {3, 0} end
end
for i = 1, n do
  redis.call('SET', KEYS[2 * i], ARGV[1], 'PX', ARGV[2])
end
if budget > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  for i = 1, n do
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), KEYS[2 * i])
  end
end
return {0, 0}
";

/// `KEYS` as for [`CLAIM`]; `ARGV`: token, then each key's window (ms), then the budget flag.
/// Only `RENAME`, `PEXPIRE` and (after them) `ZADD`: nothing a full Redis refuses.
const COMPLETE: &str = r"
local n = (#KEYS - 1) / 2
for i = 1, n do
  if redis.call('GET', KEYS[2 * i]) ~= ARGV[1] then return 0 end
end
for i = 1, n do
  redis.call('RENAME', KEYS[2 * i], KEYS[2 * i + 1])
  redis.call('PEXPIRE', KEYS[2 * i + 1], ARGV[i + 1])
end
if tonumber(ARGV[n + 2]) > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  for i = 1, n do
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[i + 1]), KEYS[2 * i])
  end
end
return 1
";

/// `KEYS` as for [`CLAIM`]; `ARGV`: token.
const RELEASE: &str = r"
local n = (#KEYS - 1) / 2
local released = 0
for i = 1, n do
  if redis.call('GET', KEYS[2 * i]) == ARGV[1] then
    redis.call('DEL', KEYS[2 * i])
    redis.call('ZREM', KEYS[1], KEYS[2 * i])
    released = 1
  end
end
return released
";

/// A Redis setting found wrong at start-up: the text of the [`StoreError`] that
/// [`RedisStore::check_settings`] returns.
#[derive(Debug, thiserror::Error)]
#[error("Redis setting {setting} is {found:?}; receiving needs {needed}: {why}")]
struct SettingsError {
    setting: &'static str,
    found: String,
    needed: &'static str,
    why: &'static str,
}

/// An [`IdempotencyStore`] on Redis, through `redis`'s reconnecting [`ConnectionManager`]. Cheap
/// to clone (clones share the connection).
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    unverified_budget: u64,
    claim: redis::Script,
    complete: redis::Script,
    release: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("unverified_budget", &self.unverified_budget)
            .finish_non_exhaustive()
    }
}

/// The error of a Redis call, which failed while doing `what`.
pub(crate) fn unavailable(what: &'static str) -> impl FnOnce(redis::RedisError) -> StoreError {
    move |e| StoreError::with_source(what, e)
}

/// Whether Redis refused a write because it reached `maxmemory` (policy `noeviction`).
pub(crate) fn out_of_memory(e: &redis::RedisError) -> bool {
    e.code() == Some("OOM") || e.to_string().contains("OOM command not allowed")
}

/// Seconds as the milliseconds `PX` takes: at least 1, at most about 100 years.
fn millis(seconds: u64) -> u64 {
    seconds
        .clamp(0, 100 * 365 * 86_400)
        .saturating_mul(1_000)
        .max(1)
}

/// What a crash of Redis may cost, and so which persistence settings [`check_settings`] asks
/// for.
///
/// A receiver answers a provider `2xx` once the delivery is recorded in Redis (its done key, its
/// stream entry). Redis answers a write before it reaches the disk unless it runs with
/// `appendonly yes` and `appendfsync always`: with `appendfsync everysec` (Redis's default once
/// `appendonly` is on) a crash of the machine or a `kill -9` loses up to a second of writes; with
/// `appendonly no` and snapshots (`save`), everything since the last snapshot; without either,
/// everything. A lost stream entry is a delivery the provider was told was received and no
/// consumer will see; a lost done key lets the provider's retry be processed twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Every acknowledged write is on disk: `appendonly yes` and `appendfsync always` are
    /// required. Each write waits for an `fsync`, shared by the writes of one event-loop turn:
    /// measured with `redis-benchmark` (`SET`) on the project's 2-core test machine, one client
    /// 0.41 ms per write against 0.03 ms without the append-only file; 16 clients 11,400 writes
    /// a second.
    #[default]
    Fsync,
    /// The application accepts that a crash of Redis loses what it acknowledged since the last
    /// write to disk (`appendfsync everysec`: about one second; no persistence: everything).
    /// For tests, caches, and a Redis kept durable by other means (replicas with `WAIT`).
    AcceptLoss,
}

/// One `CONFIG GET` value ("" when Redis has no such setting).
async fn config_get(conn: &ConnectionManager, name: &'static str) -> Result<String, StoreError> {
    let mut conn = conn.clone();
    let reply: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query_async(&mut conn)
        .await
        .map_err(unavailable(
            "cannot read Redis's settings (CONFIG GET); if CONFIG is disabled, check them by hand \
             (maxmemory-policy noeviction, appendonly yes, appendfsync always) and connect with \
             connect_unchecked",
        ))?;
    Ok(reply.get(1).cloned().unwrap_or_default())
}

/// Checks the settings the promise needs on the Redis behind `conn`, and fails naming the first
/// one that breaks it:
///
/// - `maxmemory-policy` must be `noeviction`: any other policy lets Redis evict a claim in flight,
///   a done key or a stream entry under memory pressure.
/// - with [`Durability::Fsync`], `appendonly` must be `yes` and `appendfsync` `always`, so that
///   nothing Redis acknowledged is lost when it crashes.
pub async fn check_settings(
    conn: &ConnectionManager,
    durability: Durability,
) -> Result<(), StoreError> {
    let wrong = |setting, found, needed, why| {
        Err(StoreError::new(
            SettingsError {
                setting,
                found,
                needed,
                why,
            }
            .to_string(),
        ))
    };
    let policy = config_get(conn, "maxmemory-policy").await?;
    if policy != "noeviction" {
        return wrong(
            "maxmemory-policy",
            policy,
            "noeviction",
            "any other policy lets Redis evict a claim in flight or a done delivery under memory \
             pressure, and that delivery is then processed twice; keep the store in a Redis of its \
             own if other data needs eviction",
        );
    }
    if durability == Durability::AcceptLoss {
        return Ok(());
    }
    let appendonly = config_get(conn, "appendonly").await?;
    if appendonly != "yes" {
        return wrong(
            "appendonly",
            appendonly,
            "yes (with appendfsync always)",
            "without the append-only file a crash of Redis loses every delivery acknowledged since \
             the last snapshot; set `appendonly yes` and `appendfsync always`, or accept the loss \
             explicitly (Durability::AcceptLoss)",
        );
    }
    let fsync = config_get(conn, "appendfsync").await?;
    if fsync != "always" {
        return wrong(
            "appendfsync",
            fsync,
            "always",
            "Redis answers a write before it is on disk, so a crash loses up to a second of \
             acknowledged deliveries; set `appendfsync always`, or accept the loss explicitly \
             (Durability::AcceptLoss)",
        );
    }
    Ok(())
}

/// A reconnecting connection to `url`: commands time out after 2 s and reconnection attempts
/// after 1 s, so an unreachable Redis answers an error instead of hanging.
pub(crate) async fn connection_manager(url: &str) -> Result<ConnectionManager, StoreError> {
    let client = redis::Client::open(url).map_err(unavailable("invalid Redis URL"))?;
    let config = ConnectionManagerConfig::new()
        .set_response_timeout(Duration::from_secs(2))
        .set_connection_timeout(Duration::from_secs(1))
        .set_number_of_retries(1)
        .set_max_delay(200);
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(unavailable("cannot connect to Redis"))
}

impl RedisStore {
    /// The default budget of unverified keys: as many as the in-memory store's default
    /// unverified partition holds (16 MiB / [`ENTRY_BYTES`](super::ENTRY_BYTES)).
    pub const UNVERIFIED_BUDGET: u64 = (16 << 20) / super::ENTRY_BYTES as u64;
    /// How much of Redis's `maxmemory` unverified deliveries may reach, in percent: past it, an
    /// unverified claim answers [`Claim::Full`]. Applications that store unverified deliveries'
    /// bodies in the same Redis check the same share before they write.
    pub const UNVERIFIED_MEMORY_SHARE: u64 = 50;

    /// Connects to `url` (`redis://host:port/db`), with commands timing out after 2 s and
    /// reconnection attempts after 1 s, so an unreachable Redis answers an error (and the
    /// receiver a 503) instead of hanging. Then checks the settings the promise needs
    /// ([`check_settings`](Self::check_settings) with [`Durability::Fsync`]): it refuses a Redis
    /// that could evict the store's keys or lose them in a crash.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, Durability::Fsync).await
    }

    /// Connects like [`connect`](Self::connect), checking durability as `durability` says.
    pub async fn connect_with(url: &str, durability: Durability) -> Result<Self, StoreError> {
        let store = Self::connect_unchecked(url).await?;
        store.check_settings(durability).await?;
        Ok(store)
    }

    /// Connects like [`connect`](Self::connect) without checking Redis's settings: for a Redis
    /// whose `CONFIG` command is disabled, once its settings are known to be right.
    pub async fn connect_unchecked(url: &str) -> Result<Self, StoreError> {
        Ok(Self::with_connection(connection_manager(url).await?))
    }

    /// Reads Redis's settings (`CONFIG GET`) and fails, naming the setting, on one that breaks
    /// the promise: see [`check_settings`].
    pub async fn check_settings(&self, durability: Durability) -> Result<(), StoreError> {
        check_settings(&self.conn, durability).await
    }

    /// A store on an existing connection manager, with the key prefix `proptech:idem:`. Its
    /// settings are not checked: call [`check_settings`](Self::check_settings).
    pub fn with_connection(conn: ConnectionManager) -> Self {
        Self {
            conn,
            prefix: "proptech:idem:".to_owned(),
            unverified_budget: Self::UNVERIFIED_BUDGET,
            claim: redis::Script::new(CLAIM),
            complete: redis::Script::new(COMPLETE),
            release: redis::Script::new(RELEASE),
        }
    }

    /// Replaces the key prefix (to keep several applications apart on one Redis).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Replaces the most unverified keys kept at once (at least 1); past it, unverified claims
    /// answer [`Claim::Full`].
    pub fn with_unverified_budget(mut self, keys: u64) -> Self {
        self.unverified_budget = keys.max(1);
        self
    }

    /// The Redis key of `key` while it is claimed; its done key is this with `:done` appended.
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

    /// Adds the index key and each key's claim and done keys to `invocation`; returns whether
    /// the unverified budget applies.
    fn keys(&self, invocation: &mut redis::ScriptInvocation<'_>, keys: &[StoreKey]) -> bool {
        invocation.key(format!("{}u:index", self.prefix));
        for key in keys {
            let claim = self.redis_key(key);
            let done = format!("{claim}:done");
            invocation.key(claim);
            invocation.key(done);
        }
        keys.iter().any(|k| k.partition() == Partition::Unverified)
    }
}

impl IdempotencyStore for RedisStore {
    fn claim<'a>(
        &'a self,
        keys: &'a [StoreKey],
        token: ClaimToken,
        lease: u64,
        _now: i64,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let mut invocation = self.claim.prepare_invoke();
            let budgeted = self.keys(&mut invocation, keys);
            invocation
                .arg(token.to_text())
                .arg(millis(lease))
                .arg(if budgeted { self.unverified_budget } else { 0 })
                .arg(Self::UNVERIFIED_MEMORY_SHARE);
            let reply: Result<(i64, usize), _> = invocation.invoke_async(&mut conn).await;
            match reply {
                Ok((0, _)) => Ok(Claim::Claimed),
                Ok((1, key)) => Ok(Claim::Done { key }),
                Ok((2, key)) => Ok(Claim::InFlight { key }),
                Ok(_) => Ok(Claim::Full),
                Err(e) if out_of_memory(&e) => Ok(Claim::Full),
                Err(e) => Err(unavailable("claiming a delivery failed")(e)),
            }
        })
    }

    fn complete<'a>(
        &'a self,
        keys: &'a [StoreKey],
        token: ClaimToken,
        _now: i64,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let mut invocation = self.complete.prepare_invoke();
            let budgeted = self.keys(&mut invocation, keys);
            invocation.arg(token.to_text());
            for key in keys {
                invocation.arg(millis(key.window()));
            }
            invocation.arg(u8::from(budgeted));
            let done: i64 = invocation
                .invoke_async(&mut conn)
                .await
                .map_err(unavailable("recording a delivery as done failed"))?;
            Ok(done == 1)
        })
    }

    fn release<'a>(&'a self, keys: &'a [StoreKey], token: ClaimToken) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let mut invocation = self.release.prepare_invoke();
            self.keys(&mut invocation, keys);
            invocation.arg(token.to_text());
            let released: i64 = invocation
                .invoke_async(&mut conn)
                .await
                .map_err(unavailable("releasing a claim failed"))?;
            Ok(released == 1)
        })
    }
}
