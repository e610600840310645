//! After the receiver (feature `redis`): the Redis Streams a handler appends deliveries to, and
//! the consumer group that hands each entry to a fallible handler, at least once, with dead
//! letters, replay and an ordering guard.
//!
//! ```text
//! provider ─► receiver ─► RedisStreamSink::append ─► stream ─► Consumer ─► your handler
//!   retries     verify,      XADD, then 2xx             (AOF,      XREADGROUP,    Ok: XACK
//!   non-2xx     dedupe                                  fsync)     XAUTOCLAIM     Err: retried,
//!                                                                                 then dead letter
//! ```
//!
//! - [`RedisStreamSink::append`] writes a processed delivery (`provider`, `id`, `event_type`,
//!   `body`) to the signed stream, or to the bounded unverified stream for a provider that signs
//!   nothing. It fails with [`RetryLater`] when Redis refuses, so the route answers 503 and the
//!   provider retries; a 2xx is answered only once the entry is in Redis (on disk, with the
//!   settings [`Durability::Fsync`] checks).
//! - A [`Consumer`] is one member of the consumer group: any number of them, in any number of
//!   processes, share the entries. Each entry is parsed into an [`AnyEvent`] (an event type the
//!   build does not know arrives as its `Unknown` variant) and handed to the handler as a
//!   [`Consumed`]; `XACK` follows only an `Ok`. An entry a consumer read but did not acknowledge
//!   (its handler failed, or its process died) is claimed again with `XAUTOCLAIM` once it has
//!   been idle for the lease, by whichever consumer polls first. After
//!   [`Consumer::with_max_attempts`] attempts it moves to the dead-letter stream with its last
//!   error, atomically (one script: acknowledged here, added there).
//! - [`dead_letters`] lists the dead-letter stream; [`replay`] moves entries back to the stream
//!   they came from, each once; [`stats`] reports lengths and pending entries. The CLI's `queue`
//!   command is built on them.
//!
//! A consumer handles its entries one at a time; run several consumers for parallel work. The
//! handler runs at most [`Consumer::with_handler_timeout`] (less than the lease), so an entry is
//! claimed by another consumer only once its first handler was abandoned, or its process died.
//! Handlers with side effects outside Redis should still be idempotent: a process that stops
//! between the handler's end and its `XACK` leaves the entry to be handled again.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::time::Duration;

use redis::Value;
use redis::aio::ConnectionManager;

use super::process::{Guarded, guarded, panic_message};
use super::redis::{Durability, check_settings, connection_manager, out_of_memory, unavailable};
use super::{Escaped, RetryLater, StoreError};
use crate::{AnyEvent, Provider};

/// The names of the streams and of the consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streams {
    signed: String,
    unverified: String,
    dead: String,
    group: String,
    cloud_events: String,
    cloud_events_unverified: String,
}

impl Default for Streams {
    /// `proptech:events`, `proptech:events:unverified`, `proptech:events:dead` and the group
    /// `proptech-consumers`.
    fn default() -> Self {
        Self::with_prefix("proptech:events")
    }
}

impl Streams {
    /// `{prefix}`, `{prefix}:unverified` and `{prefix}:dead`, with the group
    /// `proptech-consumers`: to keep several applications apart on one Redis.
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            signed: prefix.to_owned(),
            unverified: format!("{prefix}:unverified"),
            dead: format!("{prefix}:dead"),
            group: "proptech-consumers".to_owned(),
            cloud_events: format!("{prefix}:cloudevents"),
            cloud_events_unverified: format!("{prefix}:unverified:cloudevents"),
        }
    }

    /// Replaces the consumer group's name.
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// The stream of signed deliveries.
    pub fn signed(&self) -> &str {
        &self.signed
    }

    /// The bounded stream of unverified deliveries (providers that sign nothing).
    pub fn unverified(&self) -> &str {
        &self.unverified
    }

    /// The dead-letter stream.
    pub fn dead(&self) -> &str {
        &self.dead
    }

    /// The consumer group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The stream a delivery of `provider` goes to.
    pub fn for_provider(&self, provider: Provider) -> &str {
        if provider.contract().signature.is_some() {
            &self.signed
        } else {
            &self.unverified
        }
    }

    /// The stream `RedisStreamSink::append_cloud_event` (feature `cloudevents`) writes a delivery
    /// of `provider` to: `{prefix}:cloudevents`, or `{prefix}:unverified:cloudevents` (bounded
    /// like the unverified stream) for a provider that signs nothing. Consumers do not read them:
    /// their entries are CloudEvents for your own pipeline, not deliveries.
    pub fn cloud_events_for(&self, provider: Provider) -> &str {
        if provider.contract().signature.is_some() {
            &self.cloud_events
        } else {
            &self.cloud_events_unverified
        }
    }

    /// The two streams consumers read, signed first.
    fn inputs(&self) -> [&str; 2] {
        [&self.signed, &self.unverified]
    }
}

/// Appends an entry to the unverified stream only while it holds fewer than `ARGV[1]` entries
/// and Redis uses less than `ARGV[6]` percent of `maxmemory`; the entry id, or `false` when
/// either bound is reached.
const BOUNDED_XADD: &str = r"
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
local info = redis.call('INFO', 'memory')
local used = tonumber(string.match(info, 'used_memory:(%d+)'))
local max = tonumber(string.match(info, 'maxmemory:(%d+)'))
if max and used and max > 0 and used * 100 >= max * tonumber(ARGV[6]) then return false end
return redis.call('XADD', KEYS[1], '*', 'provider', ARGV[2], 'id', ARGV[3], 'event_type', ARGV[4], 'body', ARGV[5])
";

/// Where a receiver's handler hands processed deliveries off: `XADD` to the provider's stream.
/// Cheap to clone (clones share the connection).
#[derive(Clone)]
pub struct RedisStreamSink {
    conn: ConnectionManager,
    streams: Streams,
    unverified_max: u64,
    bounded_xadd: redis::Script,
    watch: Option<Arc<Watch>>,
}

/// Redis's settings, checked again at most once per [`Watch::INTERVAL`] while appending: a
/// `CONFIG SET appendonly no`, or a restart with other settings, is noticed within a second.
struct Watch {
    durability: Durability,
    started: std::time::Instant,
    /// Milliseconds after `started` of the last check (`u64::MAX`: never).
    checked_at: AtomicU64,
    /// What the last check found wrong, if anything.
    wrong: std::sync::Mutex<Option<String>>,
}

impl Watch {
    const INTERVAL: Duration = Duration::from_secs(1);

    fn new(durability: Durability) -> Self {
        Self {
            durability,
            started: std::time::Instant::now(),
            checked_at: AtomicU64::new(u64::MAX),
            wrong: std::sync::Mutex::new(None),
        }
    }

    /// What is wrong with Redis's settings now (checked again when the last check is older than
    /// the interval), or `None`.
    async fn wrong(&self, conn: &ConnectionManager) -> Option<String> {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.checked_at.load(AtomicOrdering::Acquire);
        let due = last == u64::MAX || now.saturating_sub(last) >= Self::INTERVAL.as_millis() as u64;
        if due
            && self
                .checked_at
                .compare_exchange(last, now, AtomicOrdering::AcqRel, AtomicOrdering::Acquire)
                .is_ok()
        {
            let found = check_settings(conn, self.durability).await.err();
            let found = found.map(|e| e.message().to_owned());
            if let Ok(mut wrong) = self.wrong.lock() {
                *wrong = found;
            }
        }
        self.wrong.lock().ok().and_then(|w| w.clone())
    }
}

impl std::fmt::Debug for RedisStreamSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStreamSink")
            .field("streams", &self.streams)
            .field("unverified_max", &self.unverified_max)
            .finish_non_exhaustive()
    }
}

impl RedisStreamSink {
    /// The default bound of the unverified stream, in entries.
    pub const UNVERIFIED_MAX: u64 = 1_000;

    /// Connects to `url` and checks Redis's settings for `durability` (see
    /// [`check_settings`]): an acknowledged delivery must survive a crash
    /// of Redis unless the application accepts the loss by name.
    pub async fn connect(url: &str, durability: Durability) -> Result<Self, StoreError> {
        let conn = connection_manager(url).await?;
        check_settings(&conn, durability).await?;
        Ok(Self::with_connection(conn).with_durability(durability))
    }

    /// A sink on an existing connection (not checked), with the default [`Streams`].
    pub fn with_connection(conn: ConnectionManager) -> Self {
        Self {
            conn,
            streams: Streams::default(),
            unverified_max: Self::UNVERIFIED_MAX,
            bounded_xadd: redis::Script::new(BOUNDED_XADD),
            watch: None,
        }
    }

    /// Keeps checking Redis's settings for `durability` while appending (at most once a second,
    /// one round trip): while they would lose an acknowledged delivery in a crash (someone ran
    /// `CONFIG SET appendonly no`, or Redis restarted with other settings), every append is
    /// refused with [`RetryLater`], so nothing is acknowledged that a crash could lose. The
    /// change is noticed within a second. [`connect`](Self::connect) turns this on.
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.watch = Some(Arc::new(Watch::new(durability)));
        self
    }

    /// Replaces the stream names.
    pub fn with_streams(mut self, streams: Streams) -> Self {
        self.streams = streams;
        self
    }

    /// Replaces the most entries the unverified stream holds (at least 1): past it, appends of
    /// unverified deliveries are refused with [`RetryLater`].
    pub fn with_unverified_max(mut self, entries: u64) -> Self {
        self.unverified_max = entries.max(1);
        self
    }

    /// The stream names.
    pub fn streams(&self) -> &Streams {
        &self.streams
    }

    /// Appends a processed delivery to its provider's stream and returns the entry id. Fails with
    /// [`RetryLater`] (answered 503 with `Retry-After` by the routes, for the provider's retry)
    /// when Redis is unreachable or full, or the unverified stream is at its bound (entries, or
    /// [`RedisStore::UNVERIFIED_MEMORY_SHARE`](super::RedisStore::UNVERIFIED_MEMORY_SHARE) of
    /// `maxmemory`): what the route did not acknowledge, the provider sends again.
    pub async fn append(
        &self,
        provider: Provider,
        id: &str,
        event_type: &str,
        body: &[u8],
    ) -> Result<String, RetryLater> {
        let stream = self.streams.for_provider(provider);
        self.append_to(stream, provider, id, event_type, body).await
    }

    /// [`append`](Self::append) to `stream`: bounded when `provider` signs nothing.
    async fn append_to(
        &self,
        stream: &str,
        provider: Provider,
        id: &str,
        event_type: &str,
        body: &[u8],
    ) -> Result<String, RetryLater> {
        if let Some(watch) = &self.watch
            && let Some(wrong) = watch.wrong(&self.conn).await
        {
            return Err(RetryLater::new(format!("not appended: {wrong}")).after(10));
        }
        let mut conn = self.conn.clone();
        let failed = |e: redis::RedisError| {
            let after = if out_of_memory(&e) { 60 } else { 10 };
            RetryLater::new(format!("appending to {stream}: {e}")).after(after)
        };
        if provider.contract().signature.is_none() {
            let entry: Option<String> = self
                .bounded_xadd
                .key(stream)
                .arg(self.unverified_max)
                .arg(provider.as_str())
                .arg(id)
                .arg(event_type)
                .arg(body)
                .arg(super::RedisStore::UNVERIFIED_MEMORY_SHARE)
                .invoke_async(&mut conn)
                .await
                .map_err(failed)?;
            return entry.ok_or_else(|| {
                RetryLater::new(format!(
                    "{stream} is at its bound ({} entries, or {}% of Redis's maxmemory): not \
                     appended",
                    self.unverified_max,
                    super::RedisStore::UNVERIFIED_MEMORY_SHARE
                ))
            });
        }
        redis::cmd("XADD")
            .arg(stream)
            .arg("*")
            .arg("provider")
            .arg(provider.as_str())
            .arg("id")
            .arg(id)
            .arg("event_type")
            .arg(event_type)
            .arg("body")
            .arg(body)
            .query_async(&mut conn)
            .await
            .map_err(failed)
    }
}

#[cfg(feature = "cloudevents")]
impl RedisStreamSink {
    /// Appends `event` (made by `to_cloud_event` from a delivery of `provider`) as CloudEvents
    /// structured JSON (`application/cloudevents+json`) to the CloudEvents stream
    /// ([`Streams::cloud_events_for`]), which consumers of deliveries do not read: the entry's
    /// `body` is the whole CloudEvent, its `id` the CloudEvent's id, its `event_type` the
    /// provider's event type. Bounded and refused as [`append`](Self::append) is.
    pub async fn append_cloud_event(
        &self,
        provider: Provider,
        event: &cloudevents::Event,
    ) -> Result<String, RetryLater> {
        use cloudevents::AttributesReader as _;
        let body = serde_json::to_vec(event)
            .map_err(|e| RetryLater::new(format!("the CloudEvent did not serialise: {e}")))?;
        let ty = event.ty();
        let event_type = ty
            .strip_prefix(provider.as_str())
            .and_then(|t| t.strip_prefix('.'))
            .unwrap_or(ty);
        let stream = self.streams.cloud_events_for(provider);
        self.append_to(stream, provider, event.id(), event_type, &body)
            .await
    }
}

/// Where a consumed event stands against the events already handled for the same entity (see
/// [`Consumer::with_ordering`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Order {
    /// No ordering guard, or the provider's descriptor names no entity for this event type.
    Unordered,
    /// No event of the same entity with a later event time has been handled.
    InOrder,
    /// An event of the same entity with a later event time was handled already: this one is
    /// older news. It is still handed over, never dropped: the handler decides.
    Stale {
        /// The newest event time handled for the entity (Unix milliseconds).
        newest: i64,
        /// This event's time (Unix milliseconds).
        time: i64,
    },
}

/// One entry of the stream, parsed, for the handler.
#[derive(Debug)]
#[non_exhaustive]
pub struct Consumed {
    /// The stream the entry was read from.
    pub stream: String,
    /// The stream entry's id (`1700000000000-0`).
    pub entry: String,
    /// The provider that sent the delivery.
    pub provider: Provider,
    /// The delivery id, as the receiver recorded it.
    pub delivery_id: String,
    /// The event type, as the receiver recorded it.
    pub event_type: String,
    /// The event. An event type this build does not know is its provider's `Unknown` variant.
    pub event: AnyEvent,
    /// Which attempt this is: 1 the first time, then one more each time the entry is claimed
    /// again.
    pub attempt: u64,
    /// Where the event stands against the ones already handled for its entity.
    pub order: Order,
    body: Vec<u8>,
}

impl Consumed {
    /// The delivery's body, as the receiver received it.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// What happened to one entry in [`Consumer::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The handler returned `Ok` and the entry was acknowledged.
    Handled {
        /// The entry id.
        entry: String,
    },
    /// The handler returned `Ok`, but the entry had been acknowledged already (another consumer
    /// claimed it after this one's lease ran out, and finished first).
    AlreadyAcknowledged {
        /// The entry id.
        entry: String,
    },
    /// The handler failed; the entry stays pending and is claimed again after the lease.
    Failed {
        /// The entry id.
        entry: String,
        /// The attempt that failed.
        attempt: u64,
        /// The handler's error.
        error: String,
    },
    /// The entry moved to the dead-letter stream: its handler failed on the last attempt, or the
    /// entry cannot be parsed (retrying would not help).
    DeadLettered {
        /// The entry id.
        entry: String,
        /// The attempts made.
        attempt: u64,
        /// The last error.
        error: String,
    },
}

/// Acknowledges an entry (and deletes it from the unverified stream, which is bounded) only if
/// it is still pending, and adds it to the dead-letter stream (`KEYS[2]`) when `ARGV[2]` says so.
/// `KEYS[1]` is the stream; `ARGV`: group, dead-letter flag, entry id, delete flag, then the
/// dead letter's fields. Returns 1 when this call acknowledged the entry.
const SETTLE: &str = r"
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
if acked == 0 then return 0 end
if ARGV[2] == '1' then
  local fields = {}
  for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('XADD', KEYS[2], '*', unpack(fields))
end
if ARGV[4] == '1' then redis.call('XDEL', KEYS[1], ARGV[3]) end
return 1
";

/// Moves a dead letter back to its stream, once: `KEYS[1]` the dead-letter stream, `KEYS[2]` the
/// stream it came from; `ARGV[1]` its id, then the fields of the new entry. The new entry id, or
/// `false` when the dead letter is gone (another replay moved it).
const REPLAY: &str = r"
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return false end
local fields = {}
for i = 2, #ARGV do fields[#fields + 1] = ARGV[i] end
return redis.call('XADD', KEYS[2], '*', unpack(fields))
";

/// The newest event time of an entity (`KEYS[1]`): `ARGV[1]` the event's time; answers the
/// newest time recorded when it is later, else -1.
const ORDER_CHECK: &str = r"
local newest = redis.call('GET', KEYS[1])
if newest and tonumber(newest) > tonumber(ARGV[1]) then return tonumber(newest) end
return -1
";

/// Records an entity's event time (`ARGV[1]`) if it is the newest, for `ARGV[2]` ms.
const ORDER_RECORD: &str = r"
local newest = redis.call('GET', KEYS[1])
if not newest or tonumber(newest) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
";

/// One member of the consumer group. See the [module docs](self).
pub struct Consumer {
    conn: ConnectionManager,
    streams: Streams,
    name: String,
    lease: Duration,
    handler_timeout: Duration,
    max_attempts: u64,
    batch: usize,
    block: Duration,
    ordering: Option<Duration>,
    cursors: std::sync::Mutex<[String; 2]>,
    settle: redis::Script,
    order_check: redis::Script,
    order_record: redis::Script,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .field("streams", &self.streams)
            .field("lease", &self.lease)
            .field("handler_timeout", &self.handler_timeout)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// A field of a stream entry as text ("" when absent).
fn text(fields: &HashMap<String, Value>, name: &str) -> String {
    fields
        .get(name)
        .and_then(|v| redis::from_redis_value::<String>(v).ok())
        .unwrap_or_default()
}

/// A field of a stream entry as bytes (empty when absent).
fn bytes(fields: &HashMap<String, Value>, name: &str) -> Vec<u8> {
    fields
        .get(name)
        .and_then(|v| redis::from_redis_value::<Vec<u8>>(v).ok())
        .unwrap_or_default()
}

/// The Unix milliseconds of a stream entry id (`1700000000000-0`).
fn entry_millis(id: &str) -> i64 {
    id.split('-')
        .next()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0)
}

/// The longest error text kept in a dead letter, in bytes.
const ERROR_MAX: usize = 1_024;

impl Consumer {
    /// The default lease: an entry idle this long is claimed by another consumer.
    pub const LEASE: Duration = Duration::from_secs(60);
    /// The default number of attempts before an entry moves to the dead-letter stream.
    pub const MAX_ATTEMPTS: u64 = 5;

    /// A consumer named `name` (unique among the group's live consumers: a host name and a
    /// process id, say) on its own connection to `url`, after checking Redis's settings for
    /// `durability`. Give each consumer its own connection: a blocking read holds it.
    pub async fn connect(
        url: &str,
        name: impl Into<String>,
        durability: Durability,
    ) -> Result<Self, StoreError> {
        let conn = connection_manager(url).await?;
        check_settings(&conn, durability).await?;
        Ok(Self::with_connection(conn, name))
    }

    /// A consumer on an existing connection (not checked; not shared with anything that must not
    /// wait behind a blocking read).
    pub fn with_connection(conn: ConnectionManager, name: impl Into<String>) -> Self {
        Self {
            conn,
            streams: Streams::default(),
            name: name.into(),
            lease: Self::LEASE,
            handler_timeout: Self::LEASE / 2,
            max_attempts: Self::MAX_ATTEMPTS,
            batch: 16,
            block: Duration::from_millis(500),
            ordering: None,
            cursors: std::sync::Mutex::new(["0-0".to_owned(), "0-0".to_owned()]),
            settle: redis::Script::new(SETTLE),
            order_check: redis::Script::new(ORDER_CHECK),
            order_record: redis::Script::new(ORDER_RECORD),
        }
    }

    /// Replaces the stream names.
    pub fn with_streams(mut self, streams: Streams) -> Self {
        self.streams = streams;
        self
    }

    /// Replaces the lease (at least 10 ms): an entry pending this long is claimed again. The
    /// handler timeout is kept below it (at most half of it).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(10));
        self.handler_timeout = self.handler_timeout.min(self.lease / 2);
        self
    }

    /// Replaces how long a handler may run (at most half the lease) before it is abandoned and
    /// its attempt counted as failed.
    pub fn with_handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = timeout.min(self.lease / 2);
        self
    }

    /// Replaces the attempts (at least 1) after which a failing entry moves to the dead-letter
    /// stream.
    pub fn with_max_attempts(mut self, attempts: u64) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Replaces the most entries read per stream at once (at least 1).
    pub fn with_batch(mut self, entries: usize) -> Self {
        self.batch = entries.max(1);
        self
    }

    /// Replaces how long a poll waits for new entries (under 2 s, the connection's timeout).
    pub fn with_block(mut self, block: Duration) -> Self {
        self.block = block.min(Duration::from_millis(1_500));
        self
    }

    /// Turns on the ordering guard: for the event types whose provider's descriptor names the
    /// entity they are about and the event's time (Repull's reservations, payments and
    /// listings), the newest event time handled per entity is kept in Redis for `memory`, and
    /// an older event is handed over as [`Order::Stale`]. The time is recorded once its handler
    /// returned `Ok`.
    pub fn with_ordering(mut self, memory: Duration) -> Self {
        self.ordering = Some(memory.max(Duration::from_millis(1)));
        self
    }

    /// The consumer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Creates the consumer group on both streams (and the streams) if they do not exist yet.
    pub async fn ensure_groups(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        for stream in self.streams.inputs() {
            let created: redis::RedisResult<()> = redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(stream)
                .arg(&self.streams.group)
                .arg("0")
                .arg("MKSTREAM")
                .query_async(&mut conn)
                .await;
            match created {
                Err(e) if e.code() == Some("BUSYGROUP") => {}
                other => other.map_err(unavailable("creating the consumer group failed"))?,
            }
        }
        Ok(())
    }

    /// One round: claims the entries idle past the lease (`XAUTOCLAIM`), or else reads new ones
    /// (`XREADGROUP`, waiting up to the block time), hands each to `handler` in turn, and settles
    /// it. Returns what happened to each entry; an error only when Redis failed (the entries
    /// not settled stay pending, for the next poll).
    pub async fn poll<F, Fut, E>(&self, handler: &F) -> Result<Vec<Outcome>, StoreError>
    where
        F: Fn(Consumed) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut entries = self.reclaim().await?;
        if entries.is_empty() {
            entries = self.read_new().await?;
        }
        let mut outcomes = Vec::with_capacity(entries.len());
        for (stream, id, fields, attempt) in entries {
            outcomes.push(self.handle(handler, stream, id, fields, attempt).await?);
        }
        Ok(outcomes)
    }

    /// Polls until `shutdown` completes, creating the groups first. A Redis error is logged and
    /// retried after a second; the entries it left pending are claimed again after the lease.
    pub async fn run<F, Fut, E>(
        &self,
        handler: F,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), StoreError>
    where
        F: Fn(Consumed) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        self.ensure_groups().await?;
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                polled = self.poll(&handler) => if let Err(e) = polled {
                    tracing::warn!(consumer = %Escaped(&self.name), error = %e, "polling the stream failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                },
            }
        }
    }

    /// The entries of both streams pending longer than the lease, claimed for this consumer,
    /// with their delivery counts.
    async fn reclaim(&self) -> Result<Vec<Entry>, StoreError> {
        let mut conn = self.conn.clone();
        let mut found = Vec::new();
        for (i, stream) in self.streams.inputs().into_iter().enumerate() {
            let cursor = self
                .cursors
                .lock()
                .map(|c| c[i].clone())
                .unwrap_or_default();
            let reply: redis::RedisResult<redis::streams::StreamAutoClaimReply> =
                redis::cmd("XAUTOCLAIM")
                    .arg(stream)
                    .arg(&self.streams.group)
                    .arg(&self.name)
                    .arg(self.lease.as_millis() as u64)
                    .arg(if cursor.is_empty() { "0-0" } else { &cursor })
                    .arg("COUNT")
                    .arg(self.batch)
                    .query_async(&mut conn)
                    .await;
            let reply = match reply {
                Ok(reply) => reply,
                // No stream or group yet: nothing to claim.
                Err(e) if e.code() == Some("NOGROUP") => continue,
                Err(e) => return Err(unavailable("claiming idle entries failed")(e)),
            };
            if let Ok(mut cursors) = self.cursors.lock() {
                cursors[i] = reply.next_stream_id.clone();
            }
            for entry in reply.claimed {
                let pending: redis::streams::StreamPendingCountReply = redis::cmd("XPENDING")
                    .arg(stream)
                    .arg(&self.streams.group)
                    .arg(&entry.id)
                    .arg(&entry.id)
                    .arg(1)
                    .query_async(&mut conn)
                    .await
                    .map_err(unavailable("reading an entry's delivery count failed"))?;
                let attempt = pending.ids.first().map_or(1, |p| p.times_delivered as u64);
                found.push((stream.to_owned(), entry.id, entry.map, attempt));
            }
        }
        Ok(found)
    }

    /// New entries of both streams for this consumer (attempt 1).
    async fn read_new(&self) -> Result<Vec<Entry>, StoreError> {
        let mut conn = self.conn.clone();
        let options = redis::streams::StreamReadOptions::default()
            .group(&self.streams.group, &self.name)
            .count(self.batch)
            .block(self.block.as_millis() as usize);
        let reply: redis::RedisResult<Option<redis::streams::StreamReadReply>> =
            redis::AsyncCommands::xread_options(
                &mut conn,
                &self.streams.inputs(),
                &[">", ">"],
                &options,
            )
            .await;
        let reply = match reply {
            Ok(reply) => reply.unwrap_or_default(),
            Err(e) if e.code() == Some("NOGROUP") => {
                self.ensure_groups().await?;
                return Ok(Vec::new());
            }
            Err(e) => return Err(unavailable("reading new entries failed")(e)),
        };
        Ok(reply
            .keys
            .into_iter()
            .flat_map(|key| {
                let stream = key.key;
                key.ids
                    .into_iter()
                    .map(move |e| (stream.clone(), e.id, e.map, 1))
            })
            .collect())
    }

    /// [`Self::handle_entry`] in a `consume` span, counted (see [`telemetry`](super::telemetry)).
    async fn handle<F, Fut, E>(
        &self,
        handler: &F,
        stream: String,
        entry: String,
        fields: HashMap<String, Value>,
        attempt: u64,
    ) -> Result<Outcome, StoreError>
    where
        F: Fn(Consumed) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        use tracing::Instrument as _;
        let provider = text(&fields, "provider")
            .parse::<Provider>()
            .map_or("unknown", Provider::as_str);
        let span = tracing::info_span!(
            "consume",
            provider,
            event_type = %Escaped(&super::truncate(&text(&fields, "event_type"))),
            delivery = %Escaped(&super::truncate(&text(&fields, "id"))),
            entry = %Escaped(&entry),
            attempt,
            outcome = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = std::time::Instant::now();
        let handled = self
            .handle_entry(handler, stream, entry, fields, attempt)
            .instrument(span.clone())
            .await?;
        let (outcome, ran) = handled;
        let name = match &outcome {
            Outcome::Handled { .. } | Outcome::AlreadyAcknowledged { .. } => "handled",
            Outcome::Failed { .. } => "failed",
            Outcome::DeadLettered { .. } => "dead_lettered",
        };
        super::telemetry::consumed(provider, name, ran);
        span.record("outcome", name);
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        Ok(outcome)
    }

    /// Parses, guards, hands over and settles one entry; with how long the handler ran, if it
    /// did.
    async fn handle_entry<F, Fut, E>(
        &self,
        handler: &F,
        stream: String,
        entry: String,
        fields: HashMap<String, Value>,
        attempt: u64,
    ) -> Result<(Outcome, Option<f64>), StoreError>
    where
        F: Fn(Consumed) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let provider_name = text(&fields, "provider");
        let body = bytes(&fields, "body");
        let provider = match provider_name.parse::<Provider>() {
            Ok(p) if p.enabled() => p,
            Ok(p) => {
                let error = format!("provider {p:?} is not enabled in this build");
                let letter = self.dead_letter(&stream, &entry, &fields, attempt, error);
                return Ok((letter.await?, None));
            }
            Err(e) => {
                let letter = self.dead_letter(&stream, &entry, &fields, attempt, e.to_string());
                return Ok((letter.await?, None));
            }
        };
        let event = match crate::parse(provider, &body) {
            Ok(event) => event,
            Err(e) => {
                let error = format!("the body does not parse: {e}");
                let letter = self.dead_letter(&stream, &entry, &fields, attempt, error);
                return Ok((letter.await?, None));
            }
        };
        let event_type = text(&fields, "event_type");
        let ordered = self.ordering_key(provider, &event_type, &body);
        let order = match &ordered {
            None => Order::Unordered,
            Some((key, time)) => {
                let mut conn = self.conn.clone();
                let newest: i64 = self
                    .order_check
                    .key(key)
                    .arg(*time)
                    .invoke_async(&mut conn)
                    .await
                    .map_err(unavailable("reading an entity's newest event time failed"))?;
                if newest >= 0 {
                    super::telemetry::consumed(provider.as_str(), "stale", None);
                    Order::Stale {
                        newest,
                        time: *time,
                    }
                } else {
                    Order::InOrder
                }
            }
        };
        let consumed = Consumed {
            stream: stream.clone(),
            entry: entry.clone(),
            provider,
            delivery_id: text(&fields, "id"),
            event_type,
            event,
            attempt,
            order,
            body,
        };
        let (outcome, ran) = guarded(handler, consumed, self.handler_timeout).await;
        let ran = Some(ran.as_secs_f64());
        let error = match outcome {
            Guarded::Done(Ok(())) => {
                if let (Some((key, time)), Some(memory)) = (&ordered, self.ordering) {
                    let mut conn = self.conn.clone();
                    let _: i64 = self
                        .order_record
                        .key(key)
                        .arg(*time)
                        .arg(memory.as_millis() as u64)
                        .invoke_async(&mut conn)
                        .await
                        .map_err(unavailable("recording an entity's event time failed"))?;
                }
                let acked = self.settle(&stream, &entry, None).await?;
                let outcome = if acked {
                    Outcome::Handled { entry }
                } else {
                    Outcome::AlreadyAcknowledged { entry }
                };
                return Ok((outcome, ran));
            }
            Guarded::Done(Err(e)) => e.to_string(),
            Guarded::Panicked(panic) => {
                format!("the handler panicked: {}", panic_message(panic.as_ref()))
            }
            Guarded::TimedOut => format!(
                "the handler did not finish within {:?}",
                self.handler_timeout
            ),
        };
        if attempt >= self.max_attempts {
            let letter = self.dead_letter(&stream, &entry, &fields, attempt, error);
            return Ok((letter.await?, ran));
        }
        tracing::warn!(
            stream = %Escaped(&stream), entry = %Escaped(&entry), attempt,
            error = %Escaped(&error), "the handler failed; the entry is claimed again after the lease"
        );
        let failed = Outcome::Failed {
            entry,
            attempt,
            error,
        };
        Ok((failed, ran))
    }

    /// The entity key and event time (Unix ms) the ordering guard uses for an event, if it is on
    /// and the provider's descriptor names them for this event type.
    fn ordering_key(
        &self,
        provider: Provider,
        event_type: &str,
        body: &[u8],
    ) -> Option<(String, i64)> {
        self.ordering?;
        let ordering = provider.contract().ordering.as_ref()?;
        let rule = ordering
            .entities
            .iter()
            .find(|e| e.events.contains(&event_type))?;
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let time = value.get(ordering.time_member)?.as_str()?;
        let time = chrono::DateTime::parse_from_rfc3339(time)
            .ok()?
            .timestamp_millis();
        let id = match value.pointer(rule.member)? {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(id.as_bytes());
        Some((
            format!(
                "{}:order:{}:{}:{}",
                self.streams.signed,
                provider.as_str(),
                rule.entity,
                hex::encode(&digest[..16])
            ),
            time,
        ))
    }

    /// Acknowledges `entry` (deleting it from the unverified stream), moving it to the dead-letter
    /// stream when `dead` carries its fields; whether this call acknowledged it.
    async fn settle(
        &self,
        stream: &str,
        entry: &str,
        dead: Option<Vec<(String, Vec<u8>)>>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let mut invocation = self.settle.prepare_invoke();
        invocation
            .key(stream)
            .key(&self.streams.dead)
            .arg(&self.streams.group)
            .arg(if dead.is_some() { "1" } else { "0" })
            .arg(entry)
            .arg(if stream == self.streams.unverified {
                "1"
            } else {
                "0"
            });
        for (name, value) in dead.into_iter().flatten() {
            invocation.arg(name).arg(value);
        }
        let acked: i64 = invocation
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable("acknowledging an entry failed"))?;
        Ok(acked == 1)
    }

    /// Moves `entry` to the dead-letter stream with `error`.
    async fn dead_letter(
        &self,
        stream: &str,
        entry: &str,
        fields: &HashMap<String, Value>,
        attempt: u64,
        error: String,
    ) -> Result<Outcome, StoreError> {
        let mut error = error;
        if error.len() > ERROR_MAX {
            let mut end = ERROR_MAX;
            while !error.is_char_boundary(end) {
                end -= 1;
            }
            error.truncate(end);
        }
        let mut dead: Vec<(String, Vec<u8>)> = ["provider", "id", "event_type"]
            .into_iter()
            .map(|name| (name.to_owned(), text(fields, name).into_bytes()))
            .collect();
        dead.push(("body".to_owned(), bytes(fields, "body")));
        dead.push(("error".to_owned(), error.clone().into_bytes()));
        dead.push(("attempts".to_owned(), attempt.to_string().into_bytes()));
        dead.push(("stream".to_owned(), stream.as_bytes().to_vec()));
        dead.push(("entry".to_owned(), entry.as_bytes().to_vec()));
        if !self.settle(stream, entry, Some(dead)).await? {
            // Another consumer acknowledged it first: nothing was added to the dead letters.
            return Ok(Outcome::AlreadyAcknowledged {
                entry: entry.to_owned(),
            });
        }
        tracing::warn!(
            stream = %Escaped(stream), entry = %Escaped(entry), attempt,
            error = %Escaped(&error), "the entry moved to the dead-letter stream"
        );
        Ok(Outcome::DeadLettered {
            entry: entry.to_owned(),
            attempt,
            error,
        })
    }
}

/// A stream entry as read: stream, id, fields, attempt.
type Entry = (String, String, HashMap<String, Value>, u64);

/// An entry of the dead-letter stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// Its id in the dead-letter stream.
    pub entry: String,
    /// The stream it came from.
    pub stream: String,
    /// Its id there (its time is when the delivery was received).
    pub original_entry: String,
    /// The provider's name.
    pub provider: String,
    /// The delivery id.
    pub delivery_id: String,
    /// The event type.
    pub event_type: String,
    /// The last error (at most 1 KiB).
    pub error: String,
    /// The attempts made.
    pub attempts: u64,
    /// The delivery's body.
    pub body: Vec<u8>,
}

impl DeadLetter {
    /// When the delivery was received (Unix ms; from its original entry id).
    pub fn received_at(&self) -> i64 {
        entry_millis(&self.original_entry)
    }

    /// When the delivery moved to the dead-letter stream (Unix ms).
    pub fn failed_at(&self) -> i64 {
        entry_millis(&self.entry)
    }

    fn from_entry(entry: redis::streams::StreamId) -> Self {
        let fields = &entry.map;
        DeadLetter {
            stream: text(fields, "stream"),
            original_entry: text(fields, "entry"),
            provider: text(fields, "provider"),
            delivery_id: text(fields, "id"),
            event_type: text(fields, "event_type"),
            error: text(fields, "error"),
            attempts: text(fields, "attempts").parse().unwrap_or(0),
            body: bytes(fields, "body"),
            entry: entry.id,
        }
    }
}

/// The entries of the dead-letter stream, oldest first, at most `limit`.
pub async fn dead_letters(
    conn: &ConnectionManager,
    streams: &Streams,
    limit: usize,
) -> Result<Vec<DeadLetter>, StoreError> {
    let mut conn = conn.clone();
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(&streams.dead)
        .arg("-")
        .arg("+")
        .arg("COUNT")
        .arg(limit)
        .query_async(&mut conn)
        .await
        .map_err(unavailable("reading the dead-letter stream failed"))?;
    Ok(reply.ids.into_iter().map(DeadLetter::from_entry).collect())
}

/// Which dead letters [`replay`] moves back: all of them by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayFilter {
    /// Only this provider's.
    pub provider: Option<String>,
    /// Only this event type.
    pub event_type: Option<String>,
    /// Only deliveries received at or after this time (Unix ms).
    pub since: Option<i64>,
    /// Only deliveries received before this time (Unix ms).
    pub until: Option<i64>,
}

impl ReplayFilter {
    /// Whether the filter selects `letter`.
    pub fn selects(&self, letter: &DeadLetter) -> bool {
        let received = letter.received_at();
        self.provider.as_ref().is_none_or(|p| *p == letter.provider)
            && self
                .event_type
                .as_ref()
                .is_none_or(|t| *t == letter.event_type)
            && self.since.is_none_or(|s| received >= s)
            && self.until.is_none_or(|u| received < u)
    }
}

/// A dead letter moved back to its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Replayed {
    /// The dead letter, as it was.
    pub letter: DeadLetter,
    /// Its new entry id in the stream it came from.
    pub new_entry: String,
}

/// Moves the dead letters `filter` selects back to the streams they came from, each once (a
/// script deletes the dead letter and adds the entry in one step: two replays at once cannot
/// both move it). Only the letters present when the replay starts are moved: one that fails
/// again meanwhile stays a dead letter. The consumers handle the moved ones as new entries,
/// attempt 1.
pub async fn replay(
    conn: &ConnectionManager,
    streams: &Streams,
    filter: &ReplayFilter,
) -> Result<Vec<Replayed>, StoreError> {
    let script = redis::Script::new(REPLAY);
    let mut conn = conn.clone();
    let mut replayed = Vec::new();
    // The newest dead letter now is where this replay ends: a replayed entry that fails again
    // while the replay runs is dead-lettered anew, after it, and must wait for the next replay.
    let newest: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(&streams.dead)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(&mut conn)
        .await
        .map_err(unavailable("reading the dead-letter stream failed"))?;
    let Some(end) = newest.ids.first().map(|e| e.id.clone()) else {
        return Ok(Vec::new());
    };
    let mut start = "-".to_owned();
    loop {
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(&streams.dead)
            .arg(&start)
            .arg(&end)
            .arg("COUNT")
            .arg(100)
            .query_async(&mut conn)
            .await
            .map_err(unavailable("reading the dead-letter stream failed"))?;
        let Some(last) = reply.ids.last() else { break };
        start = format!("({}", last.id);
        for entry in reply.ids {
            let letter = DeadLetter::from_entry(entry);
            if !filter.selects(&letter) {
                continue;
            }
            // Back to the stream it came from; a letter without one (written by hand) goes to
            // the signed stream.
            let target = if letter.stream == streams.unverified {
                &streams.unverified
            } else {
                &streams.signed
            };
            let new_entry: Option<String> = script
                .key(&streams.dead)
                .key(target)
                .arg(&letter.entry)
                .arg("provider")
                .arg(&letter.provider)
                .arg("id")
                .arg(&letter.delivery_id)
                .arg("event_type")
                .arg(&letter.event_type)
                .arg("body")
                .arg(&letter.body)
                .invoke_async(&mut conn)
                .await
                .map_err(unavailable("replaying a dead letter failed"))?;
            if let Some(new_entry) = new_entry {
                replayed.push(Replayed { letter, new_entry });
            }
        }
    }
    Ok(replayed)
}

/// One consumer of the group, as `XINFO CONSUMERS` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerStats {
    /// Its name.
    pub name: String,
    /// The entries it read and has not acknowledged.
    pub pending: u64,
    /// Milliseconds since it last read or claimed.
    pub idle_ms: u64,
}

/// One stream and its group, for [`stats`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamStats {
    /// The stream's name.
    pub name: String,
    /// Its entries (acknowledged signed entries stay until trimmed).
    pub length: u64,
    /// Entries not yet read by the group (`None` when Redis cannot tell, or there is no group).
    pub lag: Option<u64>,
    /// Entries read and not acknowledged.
    pub pending: u64,
    /// The group's consumers.
    pub consumers: Vec<ConsumerStats>,
}

/// The state of the queue, for [`stats`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueStats {
    /// The signed and the unverified stream.
    pub streams: Vec<StreamStats>,
    /// Entries in the dead-letter stream.
    pub dead_letters: u64,
}

/// Stream lengths, the group's lag and pending entries per consumer, and the dead letters.
pub async fn stats(conn: &ConnectionManager, streams: &Streams) -> Result<QueueStats, StoreError> {
    let mut conn = conn.clone();
    let failed = unavailable("reading the queue's state failed");
    let mut out = Vec::new();
    for stream in streams.inputs() {
        let length: u64 = redis::cmd("XLEN")
            .arg(stream)
            .query_async(&mut conn)
            .await
            .map_err(unavailable("reading a stream's length failed"))?;
        let groups: redis::RedisResult<redis::streams::StreamInfoGroupsReply> = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(stream)
            .query_async(&mut conn)
            .await;
        let group = match groups {
            Ok(reply) => reply.groups.into_iter().find(|g| g.name == streams.group),
            Err(e) if e.kind() == redis::ErrorKind::ResponseError => None,
            Err(e) => return Err(failed(e)),
        };
        let mut consumers = Vec::new();
        if group.is_some() {
            let reply: redis::streams::StreamInfoConsumersReply = redis::cmd("XINFO")
                .arg("CONSUMERS")
                .arg(stream)
                .arg(&streams.group)
                .query_async(&mut conn)
                .await
                .map_err(unavailable("reading the group's consumers failed"))?;
            consumers = reply
                .consumers
                .into_iter()
                .map(|c| ConsumerStats {
                    name: c.name,
                    pending: c.pending as u64,
                    idle_ms: c.idle as u64,
                })
                .collect();
        }
        out.push(StreamStats {
            name: stream.to_owned(),
            length,
            lag: group.as_ref().and_then(|g| g.lag).map(|l| l as u64),
            pending: group.as_ref().map_or(0, |g| g.pending as u64),
            consumers,
        });
    }
    let dead_letters: u64 = redis::cmd("XLEN")
        .arg(&streams.dead)
        .query_async(&mut conn)
        .await
        .map_err(unavailable(
            "reading the dead-letter stream's length failed",
        ))?;
    Ok(QueueStats {
        streams: out,
        dead_letters,
    })
}

/// A connection for [`stats`], [`dead_letters`] and [`replay`] (no settings checked: they only
/// read and move entries).
pub async fn connect(url: &str) -> Result<ConnectionManager, StoreError> {
    connection_manager(url).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(provider: &str, event_type: &str, received_ms: i64) -> DeadLetter {
        DeadLetter {
            entry: format!("{}-0", received_ms + 1_000),
            stream: "proptech:events".into(),
            original_entry: format!("{received_ms}-3"),
            provider: provider.into(),
            delivery_id: "d".into(),
            event_type: event_type.into(),
            error: "e".into(),
            attempts: 5,
            body: Vec::new(),
        }
    }

    #[test]
    fn a_filter_selects_by_provider_event_type_and_received_time() {
        let l = letter("repull", "payment.completed", 1_000_000);
        assert_eq!((l.received_at(), l.failed_at()), (1_000_000, 1_001_000));
        let mut f = ReplayFilter::default();
        assert!(f.selects(&l));
        f.provider = Some("valara".into());
        assert!(!f.selects(&l));
        f.provider = Some("repull".into());
        f.event_type = Some("payment.completed".into());
        assert!(f.selects(&l));
        f.since = Some(1_000_000);
        f.until = Some(1_000_001);
        assert!(f.selects(&l), "since is inclusive");
        f.until = Some(1_000_000);
        assert!(!f.selects(&l), "until is exclusive");
    }

    #[test]
    fn streams_are_named_from_one_prefix() {
        let s = Streams::with_prefix("acme").with_group("g");
        assert_eq!(
            (s.signed(), s.unverified(), s.dead(), s.group()),
            ("acme", "acme:unverified", "acme:dead", "g")
        );
        assert_eq!(Streams::default().signed(), "proptech:events");
        assert_eq!(entry_millis("junk"), 0);
    }
}
